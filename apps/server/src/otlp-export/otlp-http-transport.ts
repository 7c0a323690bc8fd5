// OTLP/HTTP with protobuf bodies (POST .../v1/traces), through Node's fetch.
// Answers as the OTLP specification classifies them: 2xx accepted (with an
// optional partial success in the body); 429, 502, 503 and 504 retryable,
// honouring Retry-After; every other status final, a redirect included (it is
// not followed). A connection that cannot be
// made is retryable; a timeout or a connection lost after sending is too, but
// marked ambiguous (the collector may have taken the request). A request fetch
// refuses to make (a header it will not send: the configuration refuses those at
// start-up) is final: it would fail the same way for ever. With gzip, the
// body is compressed on libuv's thread pool, not the event loop: a 1.8 MB
// request took 16 ms of CPU to gzip, which the server's RPCs would otherwise wait out.

import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import { RpcStatusSchema } from "@traceledger/proto/google-rpc";
import { ExportTraceServiceResponseSchema } from "@traceledger/proto/otlp";
import type { OtlpCompression } from "./otlp-compression.js";
import type { ExportOutcome, OtlpTransport } from "./otlp-transport.js";
import { parseRetryAfter } from "../retry/retry-after.js";

interface OtlpHttpTransportOptions {
  /** The full URL, e.g. http://localhost:4318/v1/traces. */
  readonly url: string;
  /** Names in lower case (parseOtlpHeaders), so ours below replace a configured content-type or content-encoding. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Default none. */
  readonly compression?: OtlpCompression;
  readonly userAgent?: string;
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
/** Failures before the request could have been delivered. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
/** undici refusing the request itself (a header it will not send, a bad content-length): no collector saw it, and none ever will. */
const LOCAL = new Set(["UND_ERR_INVALID_ARG", "UND_ERR_NOT_SUPPORTED", "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH", "ERR_INVALID_URL"]);
const gzipAsync = promisify(gzip);

export class OtlpHttpTransport implements OtlpTransport {
  private readonly headers: Record<string, string>;
  private readonly gzip: boolean;

  constructor(private readonly options: OtlpHttpTransportOptions) {
    this.gzip = options.compression === "gzip";
    // The body's encoding is ours to say: a configured content-encoding would misdescribe it.
    const { "content-encoding": _configured, ...configured } = options.headers;
    this.headers = {
      ...configured,
      "content-type": "application/x-protobuf",
      ...(this.gzip ? { "content-encoding": "gzip" } : {}),
      "user-agent": options.userAgent ?? "traceledger-otlp-exporter",
    };
  }

  async export(body: Uint8Array): Promise<ExportOutcome> {
    // Compressed again on each attempt: retries are rare, and the transport cannot tell a retry from a new request.
    const payload = this.gzip ? await gzipAsync(body) : body;
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: "POST",
        headers: this.headers,
        body: payload,
        // A redirect is answered, not followed: fetch would resend a 301/302 as a GET (and a
        // 307/308 fails on the sent body), so a collector moved elsewhere shows up as itself.
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      return networkFailure(error, this.options.timeoutMs);
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (response.ok) return networkFailure(error, this.options.timeoutMs);
      bytes = new Uint8Array(0);
    }
    const status = response.status;
    if (status >= 200 && status < 300) return accepted(bytes, response.headers.get("content-type"));
    if (RETRYABLE_STATUSES.has(status)) {
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now());
      return { kind: "retryable", reason: `HTTP ${status}`, reasonKind: `http_${status}`, ambiguous: false, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    if (status >= 300 && status < 400) {
      const location = response.headers.get("location");
      return {
        kind: "failed",
        reason: `HTTP ${status}: the collector redirects${location ? ` to ${location}` : ""}; set the endpoint to where it redirects`,
        reasonKind: httpStatusKind(status),
      };
    }
    const detail = errorMessage(bytes, response.headers.get("content-type"));
    return { kind: "failed", reason: detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`, reasonKind: httpStatusKind(status) };
  }

  async close(): Promise<void> {}
}

function accepted(bytes: Uint8Array, contentType: string | null): ExportOutcome {
  if (bytes.length === 0 || !isProtobuf(contentType)) return { kind: "accepted", rejectedSpans: 0, message: "" };
  try {
    const partial = fromBinary(ExportTraceServiceResponseSchema, bytes).partialSuccess;
    return { kind: "accepted", rejectedSpans: Number(partial?.rejectedSpans ?? 0n), message: partial?.errorMessage ?? "" };
  } catch {
    // The collector took the spans; an unreadable answer does not undo that.
    return { kind: "accepted", rejectedSpans: 0, message: "" };
  }
}

/** OTLP/HTTP error bodies are a google.rpc.Status in the request's encoding. */
function errorMessage(bytes: Uint8Array, contentType: string | null): string {
  if (bytes.length === 0) return "";
  if (isProtobuf(contentType)) {
    try {
      return fromBinary(RpcStatusSchema, bytes).message;
    } catch {
      return "";
    }
  }
  return new TextDecoder().decode(bytes.subarray(0, 200)).replace(/\s+/g, " ").trim();
}

/** OTLP names application/x-protobuf; some servers answer with the registered application/protobuf. */
function isProtobuf(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]!.trim().toLowerCase();
  return type === "application/x-protobuf" || type === "application/protobuf";
}

/** A metric label for a status: one of a few hundred at most, and the odd status a server makes up counted together. */
function httpStatusKind(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? `http_${status}` : "http_other";
}

function networkFailure(error: unknown, timeoutMs: number): ExportOutcome {
  if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return { kind: "retryable", reason: `no answer within ${timeoutMs} ms`, reasonKind: "timeout", ambiguous: true };
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? "";
  // fetch wraps every network failure in TypeError("fetch failed") with the cause; a TypeError
  // without one is its own refusal of the arguments (a header name or value it will not take).
  if (LOCAL.has(code) || (error instanceof TypeError && cause === undefined)) {
    return { kind: "failed", reason: `the request could not be made: ${cause?.message || (error as Error).message}${code ? ` (${code})` : ""}`, reasonKind: "local" };
  }
  return {
    kind: "retryable",
    reason: `network: ${code || cause?.message || (error as Error).message}`,
    reasonKind: "network",
    ambiguous: !NOT_SENT.has(code),
  };
}
