// OTLP over gRPC: opentelemetry.proto.collector.trace.v1.TraceService/Export
// with @grpc/grpc-js. The request goes out as the bytes the exporter encoded
// (no second encoding). Status codes are classified by the OTLP
// specification's table: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE,
// UNAVAILABLE and DATA_LOSS are retryable; RESOURCE_EXHAUSTED only when the
// server sent RetryInfo; everything else is final. A RetryInfo delay is honoured.
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
  const reason = `grpc ${GrpcCode[code] ?? code}${error.details ? `: ${error.details}` : ""}`;
  const details = error.metadata?.get("grpc-status-details-bin")[0];
  const retryAfterMs = retryInfoDelayMs(typeof details === "string" ? undefined : details);
  if (RETRYABLE.has(code) || (code === GrpcCode.RESOURCE_EXHAUSTED && retryAfterMs !== undefined)) {
    return { kind: "retryable", reason, ambiguous: AMBIGUOUS.has(code), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { kind: "failed", reason };
}
