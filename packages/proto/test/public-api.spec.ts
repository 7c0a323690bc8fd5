import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";

// index.ts is curated by hand; this keeps it complete: every message and enum of
// the contracts is reachable from the package root.
describe("@traceledger/proto public API", () => {
  const files = Object.entries(api).filter(([name]) => name.startsWith("file_traceledger_v1_"));

  it("exports the seven traceledger.v1 files", () => {
    expect(files.map(([name]) => name).sort()).toEqual([
      "file_traceledger_v1_attributes",
      "file_traceledger_v1_monitoring_events",
      "file_traceledger_v1_monitoring_service",
      "file_traceledger_v1_span_types",
      "file_traceledger_v1_trace_events",
      "file_traceledger_v1_trace_views",
      "file_traceledger_v1_tracing_service",
    ]);
  });

  it("exports a schema for every message and every enum", () => {
    const exported = api as Record<string, unknown>;
    for (const [, file] of files) {
      const desc = file as typeof api.file_traceledger_v1_trace_events;
      for (const message of desc.messages) expect(exported[`${message.name}Schema`], message.typeName).toBe(message);
      for (const enumeration of desc.enums) {
        expect(exported[`${enumeration.name}Schema`], enumeration.typeName).toBe(enumeration);
        expect(exported[enumeration.name], enumeration.typeName).toBeTypeOf("object");
      }
    }
  });

  it("exports TracingService with every RPC", () => {
    expect(api.TracingService.typeName).toBe("traceledger.v1.TracingService");
    expect(Object.keys(api.TracingService.method).sort()).toEqual([
      "addSpanEvent",
      "endSpan",
      "getTrace",
      "getTraceEvents",
      "ingestBatch",
      "listTraces",
      "recordError",
      "setSpanAttributes",
      "startSpan",
      "startTrace",
      "watchTrace",
    ]);
  });

  it("exports MonitoringService with every RPC", () => {
    expect(api.MonitoringService.typeName).toBe("traceledger.v1.MonitoringService");
    expect(Object.keys(api.MonitoringService.method).sort()).toEqual(["listActiveSpans", "listAlerts", "watchActiveSpans", "watchAlerts"]);
  });
});

describe("@traceledger/proto/google-rpc", () => {
  it("exports ErrorInfo and google.rpc.Status with googleapis' names and field numbers", async () => {
    const rpc = await import("../src/google-rpc.js");
    expect(rpc.ErrorInfoSchema.typeName).toBe("google.rpc.ErrorInfo");
    expect(rpc.ErrorInfoSchema.fields.map((f) => [f.name, f.number])).toEqual([
      ["reason", 1],
      ["domain", 2],
      ["metadata", 3],
    ]);
    expect(rpc.RpcStatusSchema.typeName).toBe("google.rpc.Status");
    expect(rpc.RpcStatusSchema.fields.map((f) => [f.name, f.number])).toEqual([
      ["code", 1],
      ["message", 2],
      ["details", 3],
    ]);
  });
});

describe("@traceledger/proto/grpc-health", () => {
  it("exports grpc.health.v1 with grpc-proto's names, field numbers and status values", async () => {
    const health = await import("../src/grpc-health.js");
    expect(health.Health.typeName).toBe("grpc.health.v1.Health");
    expect(health.Health.methods.map((m) => [m.name, m.methodKind])).toEqual([
      ["Check", "unary"],
      ["List", "unary"],
      ["Watch", "server_streaming"],
    ]);
    expect(health.HealthCheckRequestSchema.fields.map((f) => [f.name, f.number])).toEqual([["service", 1]]);
    expect(health.HealthCheckResponseSchema.fields.map((f) => [f.name, f.number])).toEqual([["status", 1]]);
    expect(health.HealthListResponseSchema.fields.map((f) => [f.name, f.number])).toEqual([["statuses", 1]]);
    expect([health.HealthCheckResponse_ServingStatus.UNKNOWN, health.HealthCheckResponse_ServingStatus.SERVING, health.HealthCheckResponse_ServingStatus.NOT_SERVING, health.HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN]).toEqual([0, 1, 2, 3]);
  });
});

describe("@traceledger/proto/otlp", () => {
  const numbers = (schema: { fields: readonly { name: string; number: number }[] }) =>
    Object.fromEntries(schema.fields.map((f) => [f.name, f.number]));

  it("exports the OTLP trace subset with the specification's names and field numbers", async () => {
    const otlp = await import("../src/otlp.js");
    expect(otlp.OtlpTraceService.typeName).toBe("opentelemetry.proto.collector.trace.v1.TraceService");
    expect(otlp.OtlpTraceService.methods.map((m) => m.name)).toEqual(["Export"]);
    expect(numbers(otlp.ExportTraceServiceResponseSchema)).toEqual({ partial_success: 1 });
    expect(numbers(otlp.ExportTracePartialSuccessSchema)).toEqual({ rejected_spans: 1, error_message: 2 });
    expect(numbers(otlp.OtlpSpanSchema)).toEqual({
      trace_id: 1,
      span_id: 2,
      trace_state: 3,
      parent_span_id: 4,
      flags: 16,
      name: 5,
      kind: 6,
      start_time_unix_nano: 7,
      end_time_unix_nano: 8,
      attributes: 9,
      dropped_attributes_count: 10,
      events: 11,
      dropped_events_count: 12,
      links: 13,
      dropped_links_count: 14,
      status: 15,
    });
    expect(numbers(otlp.OtlpSpanLinkSchema)).toMatchObject({ trace_id: 1, span_id: 2, flags: 6 });
    expect(numbers(otlp.OtlpStatusSchema)).toEqual({ message: 2, code: 3 });
    expect(numbers(otlp.OtlpAnyValueSchema)).toEqual({
      string_value: 1,
      bool_value: 2,
      int_value: 3,
      double_value: 4,
      array_value: 5,
      kvlist_value: 6,
      bytes_value: 7,
    });
    expect(numbers(otlp.OtlpResourceSchema)).toEqual({ attributes: 1, dropped_attributes_count: 2, entity_refs: 3 });
    expect(otlp.OtlpSpanFlags.CONTEXT_IS_REMOTE_MASK).toBe(0x200);
  });
});
