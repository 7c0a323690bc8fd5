// OpenTelemetry's own JavaScript SDK and OTLP exporters, unmodified, pointed
// at a traceledger server: spans made by the stock BasicTracerProvider are kept
// in memory, then shipped by a stock exporter as many times as a test needs
// (a re-export is how a real exporter retries).

import { ROOT_CONTEXT, trace, TraceFlags, type Context } from "@opentelemetry/api";
import { OTLPTraceExporter as OtlpGrpcExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as OtlpHttpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OtlpHttpProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Traceledger } from "../../../src/server/start-traceledger.js";

export type ExporterKind = "grpc" | "http/protobuf" | "http/json";

export const EXPORTER_KINDS: readonly ExporterKind[] = ["grpc", "http/protobuf", "http/json"];

/** A stock exporter of the given kind, aimed at the server's matching port; gzip when asked. */
export function stockExporter(kind: ExporterKind, server: Traceledger, options: { gzip?: boolean } = {}): SpanExporter {
  const compression = (options.gzip ? "gzip" : "none") as never;
  switch (kind) {
    case "grpc":
      return new OtlpGrpcExporter({ url: `http://${server.grpcAddress}`, compression });
    case "http/protobuf":
      return new OtlpHttpProtoExporter({ url: `http://${server.httpAddress}/v1/traces`, compression });
    case "http/json":
      return new OtlpHttpJsonExporter({ url: `http://${server.httpAddress}/v1/traces`, compression });
  }
}

/** Exports finished spans; resolves with the exporter's verdict (0 is SUCCESS) and its error, if any. */
export function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result)));
}

/** A stock tracer provider whose finished spans stay in memory until taken; its resource and tracer may name a schema. */
export function stockTracer(serviceName: string, schemas: { resource?: string; scope?: string } = {}) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName, "deployment.environment.name": "test" }, { schemaUrl: schemas.resource }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  return {
    tracer: provider.getTracer("traceledger-interop", "1.0.0", { schemaUrl: schemas.scope }),
    /** The spans finished so far, in the order they ended; forgets them. */
    take(): ReadableSpan[] {
      const spans = [...memory.getFinishedSpans()];
      memory.reset();
      return spans;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** A context whose parent is a span of another process (as extracted from a traceparent). */
export function remoteParent(traceId: string, spanId: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
}

/** OpenTelemetry's [seconds, nanoseconds] as Unix nanoseconds. */
export function nanos(time: [number, number]): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}
