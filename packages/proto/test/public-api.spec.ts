import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";

// index.ts is curated by hand; this keeps it complete: every message and enum of
// the contracts is reachable from the package root.
describe("@traceledger/proto public API", () => {
  const files = Object.entries(api).filter(([name]) => name.startsWith("file_traceledger_v1_"));

  it("exports the five traceledger.v1 files", () => {
    expect(files.map(([name]) => name).sort()).toEqual([
      "file_traceledger_v1_attributes",
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
