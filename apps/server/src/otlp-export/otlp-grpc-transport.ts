// OTLP over gRPC: opentelemetry.proto.collector.trace.v1.TraceService/Export
// with @grpc/grpc-js. The request goes out as the bytes the exporter encoded
// (no second encoding). Status codes are classified by the OTLP
// specification's table: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE,
// UNAVAILABLE and DATA_LOSS are retryable; RESOURCE_EXHAUSTED only when the
// server sent RetryInfo; everything else is final. A RetryInfo delay is honoured.
// A retry may duplicate the request when the call broke after it went out: a
// deadline passed, a cancel, DATA_LOSS, and an UNAVAILABLE that grpc-js made up
// itself ("Connection dropped": a collector killed or restarted after it read the
// request), unless grpc-js says the call never reached a server (no connection,
// name resolution failed, the stream refused). An UNAVAILABLE the collector sent
// (its back-pressure) is its answer to a request it did not take.
// gzip is grpc-js's own message compression (grpc-encoding: gzip, compressed on
// the thread pool); once the server has said it does not accept gzip
// (grpc-accept-encoding), grpc-js sends the channel's later messages uncompressed.

import { Client, Metadata, compressionAlgorithms, credentials, status as GrpcCode, type ServiceError } from "@grpc/grpc-js";
import { fromBinary } from "@bufbuild/protobuf";
import { ExportTraceServiceResponseSchema, OtlpTraceService } from "@traceledger/proto/otlp";
import { retryInfoDelayMs } from "./grpc-retry-info.js";
import type { OtlpCompression } from "./otlp-compression.js";
import type { ExportOutcome, OtlpTransport } from "./otlp-transport.js";

interface OtlpGrpcTransportOptions {
  /** http://host:port (plaintext) or https://host:port (TLS); the path is ignored. */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Default none. */
  readonly compression?: OtlpCompression;
}

const EXPORT_PATH = `/${OtlpTraceService.typeName}/${OtlpTraceService.method.export.name}`;
const RETRYABLE = new Set<GrpcCode>([GrpcCode.CANCELLED, GrpcCode.DEADLINE_EXCEEDED, GrpcCode.ABORTED, GrpcCode.OUT_OF_RANGE, GrpcCode.UNAVAILABLE, GrpcCode.DATA_LOSS]);
/** Codes that can mean the request reached the server before the call broke. */
const AMBIGUOUS = new Set<GrpcCode>([GrpcCode.CANCELLED, GrpcCode.DEADLINE_EXCEEDED, GrpcCode.DATA_LOSS]);
/** grpc-js's own UNAVAILABLE details for a call that never left this process (grpc-js 1.14: picker, resolver, REFUSED_STREAM, channel). */
const NEVER_SENT = /^(\w+: )?No connection established|^Name resolution failed|^Stream refused by server|^Channel closed before call started/;

export class OtlpGrpcTransport implements OtlpTransport {
  private readonly client: Client;
  private readonly metadata = new Metadata();

  constructor(private readonly options: OtlpGrpcTransportOptions) {
    const url = new URL(options.endpoint);
    const tls = url.protocol === "https:";
    const port = url.port || (tls ? "443" : "80");
    this.client = new Client(`${url.hostname}:${port}`, tls ? credentials.createSsl() : credentials.createInsecure(), {
      "grpc.primary_user_agent": "traceledger-otlp-exporter",
      ...(options.compression === "gzip" ? { "grpc.default_compression_algorithm": compressionAlgorithms.gzip } : {}),
    });
    for (const [key, value] of Object.entries(options.headers)) {
      const name = key.toLowerCase();
      if (name.endsWith("-bin")) this.metadata.set(name, Buffer.from(value));
      else this.metadata.set(name, value);
    }
  }

  export(body: Uint8Array): Promise<ExportOutcome> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest<Uint8Array, Buffer>(
        EXPORT_PATH,
        (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        (buffer) => buffer,
        body,
        this.metadata.clone(),
        { deadline: Date.now() + this.options.timeoutMs },
        (error, response) => resolve(error ? classify(error) : accepted(response)),
      );
    });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function accepted(response: Buffer | undefined): ExportOutcome {
  if (!response || response.length === 0) return { kind: "accepted", rejectedSpans: 0, message: "" };
  try {
    const partial = fromBinary(ExportTraceServiceResponseSchema, response).partialSuccess;
    return { kind: "accepted", rejectedSpans: Number(partial?.rejectedSpans ?? 0n), message: partial?.errorMessage ?? "" };
  } catch {
    return { kind: "accepted", rejectedSpans: 0, message: "" };
  }
}

function classify(error: ServiceError): ExportOutcome {
  const code = error.code;
  const name = GrpcCode[code] as string | undefined;
  const reason = `grpc ${name ?? code}${error.details ? `: ${error.details}` : ""}`;
  // A status code the server made up is counted with the others like it, not as a label of its own.
  const reasonKind = name ? `grpc_${name.toLowerCase()}` : "grpc_other";
  const details = error.metadata?.get("grpc-status-details-bin")[0];
  const retryAfterMs = retryInfoDelayMs(typeof details === "string" ? undefined : details);
  if (RETRYABLE.has(code) || (code === GrpcCode.RESOURCE_EXHAUSTED && retryAfterMs !== undefined)) {
    return { kind: "retryable", reason, reasonKind, ambiguous: mayHaveArrived(error), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { kind: "failed", reason, reasonKind };
}

/** Whether a collector may have taken the request this failed call carried. */
function mayHaveArrived(error: ServiceError): boolean {
  if (AMBIGUOUS.has(error.code)) return true;
  if (error.code !== GrpcCode.UNAVAILABLE) return false;
  // A status the collector sent in a trailers-only answer (how gRPC servers refuse a unary
  // call) carries that answer's headers, content-type at least; one grpc-js made up itself
  // carries no metadata at all. Trailers after headers may carry none: counted as possibly
  // delivered then, which keeps the count of possible duplicates an upper bound.
  if (Object.keys(error.metadata?.getMap() ?? {}).length > 0) return false;
  return !NEVER_SENT.test(error.details ?? "");
}
