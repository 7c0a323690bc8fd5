// Attribute values nest arrays and maps inside each other; past the depth
// limit a command is refused for it (INVALID_ARGUMENT, INVALID_ATTRIBUTE), and
// a request nested deep enough to exhaust a recursive decoder's stack is
// refused as malformed, on every door of the lifecycle API. Nothing of it is
// stored, and the other traces of a batch are not failed with it (before, such
// a value failed the whole group commit as a retryable STORE_UNAVAILABLE). Over
// OTLP such an attribute is invalid, as one with an empty key is: left out of
// its span and counted as dropped, the span and the request stored.

import { create } from "@bufbuild/protobuf";
import { credentials, Client, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { AnyValueSchema, KeyValueSchema, type AnyValue, type KeyValue } from "@traceledger/proto";
import { ExportTraceServiceRequestSchema, OtlpKeyValueSchema } from "@traceledger/proto/otlp";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { MAX_ATTRIBUTE_DEPTH } from "../../src/domain/trace/span-validation.js";
import { connectError, grpcJsError } from "./support/error-details.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { lengthDelimited } from "../support/protobuf-field.js";

const e2e = serverPerFile();

function nested(depth: number): KeyValue {
  let value: AnyValue = create(AnyValueSchema, { value: { case: "stringValue", value: "bottom" } });
  for (let i = 1; i < depth; i++) value = create(AnyValueSchema, { value: { case: "arrayValue", value: { values: [value] } } });
  return create(KeyValueSchema, { key: "deep", value });
}

/** Written by hand: protobuf-es's own writer would run out of stack at these depths. */
const field = lengthDelimited;

/** A StartSpanRequest whose one attribute nests `depth` arrays. */
function deepStartSpan(traceId: Buffer, spanId: Buffer, depth: number): Buffer {
  let value = field(0x0a, Buffer.from("bottom"));
  for (let i = 1; i < depth; i++) value = field(0x2a, field(0x0a, value));
  const attribute = Buffer.concat([field(0x0a, Buffer.from("deep")), field(0x12, value)]);
  // trace_id 1, span_id 2, name 7, service_name 9, attributes 11 (tracing_service.proto)
  return Buffer.concat([field(0x0a, traceId), field(0x12, spanId), field(0x3a, Buffer.from("deep")), field(0x4a, Buffer.from("depth")), field(0x5a, attribute)]);
}

function rawUnary(method: string, body: Buffer): Promise<ServiceError | Buffer> {
  const client = new Client(e2e.server.grpcAddress, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/traceledger.v1.TracingService/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      new Metadata(),
      (error, response) => {
        client.close();
        resolve(error ?? response!);
      },
    );
  });
}

describe("attribute values nested too deep", () => {
  it("are refused for the command alone, at the limit accepted", async () => {
    const ok = await e2e.client.startTrace({ name: "at the limit", serviceName: "depth", attributes: [nested(MAX_ATTRIBUTE_DEPTH)] });
    expect(ok.traceVersion).toBe(2n);
    const refused = await e2e.client.startTrace({ name: "past it", serviceName: "depth", attributes: [nested(MAX_ATTRIBUTE_DEPTH + 1)] }).catch((e: unknown) => e);
    expect(connectError(refused)).toMatchObject({ code: "invalid_argument", reason: "INVALID_ATTRIBUTE" });
  });

  it("in a batch, fail only their command", async () => {
    const traceId = newTraceId();
    const results = (
      await e2e.client.ingestBatch({
        commands: [
          { command: { case: "startTrace", value: { traceId, name: "fine", serviceName: "depth" } } },
          { command: { case: "startSpan", value: { traceId: newTraceId(), spanId: newSpanId(), name: "deep", serviceName: "depth", attributes: [nested(MAX_ATTRIBUTE_DEPTH + 3)] } } },
        ],
      })
    ).results;
    expect(results.map((r) => r.result.case)).toEqual(["startTrace", "error"]);
    expect(results[1]!.result.value).toMatchObject({ reason: "INVALID_ATTRIBUTE" });
    expect((await e2e.client.getTrace({ traceId })).trace!.spans.map((s) => s.name)).toEqual(["fine"]);
  });

  it("deep enough to exhaust a decoder's stack, are INVALID_ARGUMENT over raw gRPC, and nothing is stored", async () => {
    const traceId = newTraceId();
    const answer = await rawUnary("StartSpan", deepStartSpan(traceId, newSpanId(), 5_000));
    expect(answer).toBeInstanceOf(Error);
    const error = answer as ServiceError;
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(grpcJsError(error).code).not.toBe("internal");
    const read = await e2e.client.getTrace({ traceId }).catch((e: unknown) => e);
    expect(connectError(read)).toMatchObject({ code: "not_found" });
  });

  it("over OTLP, are left out of their span and counted as dropped; the request and its other spans are stored", async () => {
    const traceId = newTraceId();
    const [good, deep] = [newSpanId(), newSpanId()];
    // traceledger's KeyValue and OTLP's are the same on the wire.
    const otlp = (kv: KeyValue) => fromBinary(OtlpKeyValueSchema, toBinary(KeyValueSchema, kv));
    const span = (spanId: Buffer, attributes: KeyValue[]) => ({ traceId, spanId, name: "op", kind: 2, startTimeUnixNano: 1_764_000_000_000_000_000n, endTimeUnixNano: 1_764_000_000_001_000_000n, attributes: attributes.map(otlp) });
    const kept = create(KeyValueSchema, { key: "kept", value: { value: { case: "stringValue", value: "yes" } } });
    const body = toBinary(
      ExportTraceServiceRequestSchema,
      create(ExportTraceServiceRequestSchema, { resourceSpans: [{ scopeSpans: [{ spans: [span(good, [kept]), { ...span(deep, [nested(MAX_ATTRIBUTE_DEPTH + 1), kept]), parentSpanId: good }] }] }] }),
    );
    const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body });
    expect(response.status).toBe(200);
    const spans = (await e2e.client.getTrace({ traceId })).trace!.spans;
    const byId = new Map(spans.map((s) => [Buffer.from(s.spanId).toString("hex"), s]));
    expect(spans).toHaveLength(2);
    const stored = byId.get(deep.toString("hex"))!;
    expect([stored.attributes.map((kv) => kv.key), stored.limitedAttributesCount]).toEqual([["kept"], 1]);
  });
});
