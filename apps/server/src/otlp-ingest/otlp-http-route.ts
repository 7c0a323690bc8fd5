// OTLP/HTTP: POST /v1/traces on the HTTP port, in binary protobuf
// (application/x-protobuf) or OTLP/JSON (application/json), optionally gzip or deflate.
// Answers as the OTLP specification says: 200 with an
// ExportTraceServiceResponse in the request's encoding (partial_success set
// only when spans were rejected); 400 for a body that does not decode, 413 for
// one over the limit (compressed or not) or past the expansion budget
// (expansion-budget.ts), 415 for another content type or
// encoding, 405 for another method, 503 with Retry-After only when a retry can
// succeed, 500 for a fault of ours. Every failure body is a google.rpc.Status.
// Each answer carries the caller's x-request-id (or a new one) and is logged as
// the RPC doors log their calls (log/call-log.ts).

import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { ExportTraceServiceResponseSchema } from "@traceledger/proto/otlp";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzip, inflate, inflateRaw } from "node:zlib";
import { REQUEST_ID_HEADER, startCallLog, type CallLog } from "../log/call-log.js";
import type { Logger } from "../log/logger.js";
import type { PlainRoute } from "../rpc/transport/plain-routes.js";
import { OtlpFailure, otlpFailureCode } from "./otlp-failure.js";
import type { OtlpIngest } from "./otlp-ingest.js";
import { otlpJsonToBinary } from "./otlp-json.js";
import { statusBody, type OtlpEncoding } from "./otlp-status-body.js";
import { MalformedOtlp } from "./protobuf-cursor.js";

const OTLP_TRACES_PATH = "/v1/traces";

interface OtlpHttpRouteOptions {
  /** The largest body accepted, before and after gzip. */
  readonly maxBodyBytes: number;
  /** Where each export's line goes (log/call-log.ts). */
  readonly log: Logger;
}

const CONTENT_TYPE: Readonly<Record<OtlpEncoding, string>> = { protobuf: "application/x-protobuf", json: "application/json" };

export function otlpTracesRoute(ingest: OtlpIngest, options: OtlpHttpRouteOptions): PlainRoute {
  const { log } = options;
  // Begun by the first of handle and refuse to meet the request: refuse's 500 follows a handle that threw.
  const calls = new WeakMap<ServerResponse, CallLog>();
  const callOf = (response: ServerResponse): CallLog => {
    let call = calls.get(response);
    if (call === undefined) {
      const { method, headers } = response.req;
      const requestId = headers[REQUEST_ID_HEADER];
      call = startCallLog(log, `${method ?? "POST"} ${OTLP_TRACES_PATH}`, typeof requestId === "string" ? requestId : undefined);
      response.setHeader(REQUEST_ID_HEADER, call.requestId);
      calls.set(response, call);
    }
    return call;
  };
  return {
    method: "POST",
    path: OTLP_TRACES_PATH,
    // In the request's encoding too (the specification: the response's Content-Type is the request's).
    refuse: (response, status, message) =>
      fail(
        callOf(response),
        response,
        requestEncoding(response.req) ?? "protobuf",
        status === 405 ? new OtlpFailure("unsupported", "METHOD_NOT_ALLOWED", `${message}; OTLP/HTTP exports are POSTed`) : new OtlpFailure("internal", "INTERNAL", message),
        status,
      ),
    handle: async (request, response) => {
      const call = callOf(response);
      const encoding = requestEncoding(request);
      if (encoding === undefined) {
        const type = request.headers["content-type"] ?? "";
        return fail(call, response, "protobuf", new OtlpFailure("unsupported", "UNSUPPORTED_MEDIA_TYPE", `content type "${type}" is not supported; send application/x-protobuf or application/json`, { content_type: type }), 415);
      }
      const coding = (request.headers["content-encoding"] ?? "identity").trim().toLowerCase();
      // OTLP requires gzip; the Collector's receiver and some SDK exporters (Python's) also speak deflate.
      if (coding !== "identity" && coding !== "gzip" && coding !== "deflate" && coding !== "") {
        return fail(call, response, encoding, new OtlpFailure("unsupported", "UNSUPPORTED_CONTENT_ENCODING", `content encoding "${coding}" is not supported; send gzip, deflate or none`, { content_encoding: coding }), 415);
      }
      try {
        const received = await readBody(request, options.maxBodyBytes);
        const body = coding === "gzip" || coding === "deflate" ? await decompressLimited(coding, received, options.maxBodyBytes) : received;
        const result = encoding === "json" ? await exportJson(ingest, body) : await ingest.export(body);
        const message = create(ExportTraceServiceResponseSchema, {
          partialSuccess: result.rejectedSpans > 0 ? { rejectedSpans: BigInt(result.rejectedSpans), errorMessage: result.errorMessage } : undefined,
        });
        send(response, 200, encoding, encoding === "json" ? toJsonString(ExportTraceServiceResponseSchema, message) : toBinary(ExportTraceServiceResponseSchema, message));
        call.succeeded("call", result.rejectedSpans > 0 ? { status: 200, rejected_spans: result.rejectedSpans } : { status: 200 });
      } catch (error) {
        if (error instanceof MalformedOtlp) return fail(call, response, encoding, new OtlpFailure("bad_data", "MALFORMED_OTLP", error.message), 400);
        if (!(error instanceof OtlpFailure)) throw error;
        fail(call, response, encoding, error, statusOf(error));
      }
    },
  };
}

function exportJson(ingest: OtlpIngest, body: Buffer): ReturnType<OtlpIngest["export"]> {
  const { bytes, refused } = otlpJsonToBinary(body.toString("utf8"));
  return ingest.export(bytes, refused);
}

function requestEncoding(request: IncomingMessage): OtlpEncoding | undefined {
  const type = (request.headers["content-type"] ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (type === "application/x-protobuf") return "protobuf";
  if (type === "application/json") return "json";
  return undefined;
}

function statusOf(failure: OtlpFailure): number {
  switch (failure.kind) {
    case "bad_data":
      return 400;
    case "too_large":
      return 413;
    case "unsupported":
      return 415;
    case "unavailable":
      return 503;
    case "internal":
      return 500;
  }
}

function fail(call: CallLog, response: ServerResponse, encoding: OtlpEncoding, failure: OtlpFailure, status: number): void {
  if (failure.kind === "unavailable") response.setHeader("retry-after", String(failure.retryAfterSeconds));
  // Unread request bytes would otherwise be read and thrown away to keep the connection.
  if (failure.kind === "too_large") response.setHeader("connection", "close");
  send(response, status, encoding, statusBody(failure, encoding));
  // A 503 is the server's, as UNAVAILABLE is on the RPC doors: a busy or unreachable store.
  call.failed(status >= 500, { status, code: Code[otlpFailureCode[failure.kind]], reason: failure.reason, message: failure.message });
}

function send(response: ServerResponse, status: number, encoding: OtlpEncoding, body: Uint8Array | string): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  response.writeHead(status, { "content-type": CONTENT_TYPE[encoding], "content-length": bytes.length });
  response.end(bytes);
}

function tooLarge(limit: number): OtlpFailure {
  return new OtlpFailure("too_large", "REQUEST_TOO_LARGE", `the request body is larger than ${limit} bytes; send smaller batches`, { max_bytes: String(limit) });
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    function cleanup() {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
    }
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
  });
}

function decompressLimited(coding: "gzip" | "deflate", body: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer) => {
      if (!error) return resolve(result);
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return reject(tooLarge(limit));
      reject(new MalformedOtlp(`the ${coding} body does not decompress: ${error.message}`));
    };
    // HTTP's deflate is the zlib format (RFC 9110); inflate also takes the raw form some clients send.
    if (coding === "gzip") gunzip(body, { maxOutputLength: limit }, done);
    else inflate(body, { maxOutputLength: limit }, (error, result) => (error && body[0] !== 0x78 ? inflateRaw(body, { maxOutputLength: limit }, done) : done(error, result)));
  });
}
