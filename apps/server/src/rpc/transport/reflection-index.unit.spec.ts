import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { TracingService } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { createReflectionIndex } from "./reflection-index.js";

const index = createReflectionIndex([TracingService]);
const SERVICE_FILE = "traceledger/v1/tracing_service.proto";

describe("the reflection index", () => {
  it("names the served services", () => {
    expect(index.serviceNames).toEqual(["traceledger.v1.TracingService"]);
  });

  it.each([
    ["a service", "traceledger.v1.TracingService", SERVICE_FILE],
    ["a method", "traceledger.v1.TracingService.StartSpan", SERVICE_FILE],
    ["a message", "traceledger.v1.StartSpanRequest", SERVICE_FILE],
    ["a field", "traceledger.v1.StartSpanRequest.traceparent", SERVICE_FILE],
    ["a oneof and its field", "traceledger.v1.TracingCommand.command", SERVICE_FILE],
    ["a field in a oneof", "traceledger.v1.TracingCommand.start_span", SERVICE_FILE],
    ["a message of a dependency", "traceledger.v1.KeyValue", "traceledger/v1/attributes.proto"],
    ["an enum", "traceledger.v1.SpanKind", "traceledger/v1/span_types.proto"],
    ["an enum value, scoped beside its enum", "traceledger.v1.SPAN_KIND_SERVER", "traceledger/v1/span_types.proto"],
    ["a name with a leading dot", ".traceledger.v1.StartSpanRequest", SERVICE_FILE],
  ])("finds the file declaring %s", (_, symbol, file) => {
    expect(index.fileOfSymbol(symbol)).toBe(file);
  });

  it("does not find what is not declared", () => {
    expect(index.fileOfSymbol("traceledger.v1.SpanKind.SPAN_KIND_SERVER")).toBeUndefined();
    expect(index.fileOfSymbol("traceledger.v1")).toBeUndefined();
  });

  it("lists a file first, then each of its transitive dependencies once", () => {
    const files = index.fileWithDependencies(SERVICE_FILE);
    expect(files[0]).toBe(SERVICE_FILE);
    expect(new Set(files).size).toBe(files.length);
    expect(files.slice(1).sort()).toEqual([
      "traceledger/v1/attributes.proto",
      "traceledger/v1/span_types.proto",
      "traceledger/v1/trace_events.proto",
      "traceledger/v1/trace_views.proto",
    ]);
    expect(index.fileWithDependencies("no/such.proto")).toEqual([]);
  });

  it("serves each file as a FileDescriptorProto", () => {
    const proto = fromBinary(FileDescriptorProtoSchema, index.fileDescriptor(SERVICE_FILE));
    expect(proto.service.map((s) => s.name)).toEqual(["TracingService"]);
  });

  it("knows the extension numbers of known message types only", () => {
    expect(index.extensionNumbers("traceledger.v1.StartSpanRequest")).toEqual([]);
    expect(index.extensionNumbers("no.such.Type")).toBeUndefined();
    expect(index.fileOfExtension("traceledger.v1.StartSpanRequest", 100)).toBeUndefined();
  });
});
