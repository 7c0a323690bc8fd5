// The hand-written encoder against the generated schemas: every command, every
// field and every attribute type, decoded with protobuf-es, must read back as
// what was meant.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import { IngestBatchRequestSchema, IngestBatchResponseSchema, type KeyValue } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { createResource } from "../commands/resource.js";
import type { SpanCommand } from "../commands/span-command.js";
import { batchMessage, encodeBatch } from "./batch-request.js";
import { readBatchResults } from "./batch-results.js";
import { ProtoWriter } from "./proto-writer.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";
const PARENT = "b7ad6b7169203331";
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function roundTrip(commands: SpanCommand[]) {
  const { batch, taken } = encodeBatch(new ProtoWriter(16), commands, 1 << 20);
  expect(taken).toBe(commands.length);
  // What connect sends: the empty message with the batch as unknown fields.
  const wire = toBinary(EmptySchema, batchMessage(EmptySchema.typeName, batch));
  expect(wire.length).toBe(batch.bytes);
  return fromBinary(IngestBatchRequestSchema, wire).commands;
}

function attributeMap(kvs: KeyValue[]): Record<string, unknown> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, kv.value?.value]));
}

describe("encodeBatch", () => {
  it("encodes a StartSpan with every field", () => {
    const longName = "n".repeat(300) + "\u00e9\u4e2d";
    const [decoded] = roundTrip([
      {
        type: "startSpan",
        traceId: TRACE,
        spanId: SPAN,
        parentSpanId: PARENT,
        parentIsRemote: true,
        tracestate: "rojo=00f067aa0ba902b7",
        name: longName,
        kind: 2,
        serviceName: "checkout",
        startTimeUnixNano: 1_700_000_000_123_456_789n,
        attributes: {
          s: "text",
          empty: "",
          t: true,
          f: false,
          i: 42,
          neg: -7,
          big: 2n ** 62n,
          d: 1.5,
          huge: 1e20,
          bytes: new Uint8Array([1, 2, 3]),
          arr: ["a", 1, true, null],
          skipped: undefined,
        },
        links: [{ traceId: TRACE, spanId: PARENT, traceState: "a=b", traceFlags: 1, attributes: { why: "retry" } }],
        resource: createResource({ "service.name": "checkout", pid: 12 }),
        scopeName: "scope",
        scopeVersion: "3.2.1",
        randomTraceId: true,
        sealed: false,
      },
    ]);
    expect(decoded!.command.case).toBe("startSpan");
    const start = decoded!.command.value as Extract<typeof decoded, object>["command"]["value"] & { $typeName: "traceledger.v1.StartSpanRequest" };
    expect(hex(start.traceId)).toBe(TRACE);
    expect(hex(start.spanId)).toBe(SPAN);
    expect(hex(start.parentSpanId)).toBe(PARENT);
    expect(start.parentIsRemote).toBe(true);
    expect(start.tracestate).toBe("rojo=00f067aa0ba902b7");
    expect(start.name).toBe(longName);
    expect(start.kind).toBe(2);
    expect(start.serviceName).toBe("checkout");
    expect(start.startTimeUnixNano).toBe(1_700_000_000_123_456_789n);
    expect(start.scopeName).toBe("scope");
    expect(start.scopeVersion).toBe("3.2.1");
    expect(start.randomTraceId).toBe(true);
    const attrs = attributeMap(start.attributes);
    expect(attrs["s"]).toEqual({ case: "stringValue", value: "text" });
    expect(attrs["empty"]).toEqual({ case: "stringValue", value: "" });
    expect(attrs["t"]).toEqual({ case: "boolValue", value: true });
    expect(attrs["f"]).toEqual({ case: "boolValue", value: false });
    expect(attrs["i"]).toEqual({ case: "intValue", value: 42n });
    expect(attrs["neg"]).toEqual({ case: "intValue", value: -7n });
    expect(attrs["big"]).toEqual({ case: "intValue", value: 2n ** 62n });
    expect(attrs["d"]).toEqual({ case: "doubleValue", value: 1.5 });
    expect(attrs["huge"]).toEqual({ case: "doubleValue", value: 1e20 });
    expect(attrs["bytes"]).toEqual({ case: "bytesValue", value: new Uint8Array([1, 2, 3]) });
    expect("skipped" in attrs).toBe(false);
    const arr = attrs["arr"] as { case: string; value: { values: Array<{ value: unknown }> } };
    expect(arr.case).toBe("arrayValue");
    expect(arr.value.values.map((v) => v.value)).toEqual([
      { case: "stringValue", value: "a" },
      { case: "intValue", value: 1n },
      { case: "boolValue", value: true },
      { case: undefined },
    ]);
    expect(start.links).toHaveLength(1);
    expect(hex(start.links[0]!.spanId)).toBe(PARENT);
    expect(start.links[0]!.tracestate).toBe("a=b");
    expect(start.links[0]!.flags).toBe(1);
    expect(attributeMap(start.links[0]!.attributes)).toEqual({ why: { case: "stringValue", value: "retry" } });
    expect(attributeMap(start.resourceAttributes)).toEqual({
      "service.name": { case: "stringValue", value: "checkout" },
      pid: { case: "intValue", value: 12n },
    });
  });

  it("encodes EndSpan, RecordError, AddSpanEvent and SetSpanAttributes", () => {
    const commands = roundTrip([
      { type: "endSpan", traceId: TRACE, spanId: SPAN, endTimeUnixNano: 5n, statusCode: 2, statusMessage: "boom", endReason: 2, attributes: { "http.response.status_code": 500 } },
      { type: "endSpan", traceId: TRACE, spanId: PARENT, endTimeUnixNano: 6n, statusCode: 0, statusMessage: "", endReason: 0 },
      { type: "recordError", traceId: TRACE, spanId: SPAN, errorId: "e1", timeUnixNano: 7n, errorType: "TypeError", message: "bad", stacktrace: "at x", escaped: true, attributes: { k: "v" } },
      { type: "addSpanEvent", traceId: TRACE, spanId: SPAN, eventId: "ev1", timeUnixNano: 8n, name: "cache.miss", attributes: { key: "user:1" } },
      { type: "setSpanAttributes", traceId: TRACE, spanId: SPAN, updateId: "u1", attributes: { a: 1 } },
    ]);
    expect(commands.map((c) => c.command.case)).toEqual(["endSpan", "endSpan", "recordError", "addSpanEvent", "setSpanAttributes"]);
    const end = commands[0]!.command.value as { traceId: Uint8Array; spanId: Uint8Array; endTimeUnixNano: bigint; status?: { code: number; message: string }; endReason: number; attributes: KeyValue[] };
    expect(hex(end.traceId)).toBe(TRACE);
    expect(end.endTimeUnixNano).toBe(5n);
    expect(end.status).toMatchObject({ code: 2, message: "boom" });
    expect(end.endReason).toBe(2);
    expect(attributeMap(end.attributes)).toEqual({ "http.response.status_code": { case: "intValue", value: 500n } });
    expect((commands[1]!.command.value as { status?: unknown }).status).toBeUndefined();
    expect(commands[2]!.command.value).toMatchObject({ errorId: "e1", timeUnixNano: 7n, errorType: "TypeError", message: "bad", stacktrace: "at x", escaped: true });
    expect(commands[3]!.command.value).toMatchObject({ eventId: "ev1", timeUnixNano: 8n, name: "cache.miss" });
    expect(commands[4]!.command.value).toMatchObject({ updateId: "u1" });
  });

  const start = (i: number, name = "x".repeat(100)): SpanCommand => ({
    type: "startSpan", traceId: TRACE, spanId: `00000000000000${String(i).padStart(2, "0")}`, parentSpanId: "", parentIsRemote: false,
    tracestate: "", name, kind: 1, serviceName: "s", startTimeUnixNano: 1n, attributes: undefined, scopeName: "", sealed: false,
  });

  it("seals the start commands it takes and never lets one push the batch past the byte budget", () => {
    const commands = [start(1), start(2), start(3)];
    const { batch, taken } = encodeBatch(new ProtoWriter(16), commands, 350); // each command is ~150 bytes
    expect(taken).toBe(2);
    expect(batch.bytes).toBeLessThanOrEqual(350);
    expect(fromBinary(IngestBatchRequestSchema, toBinary(EmptySchema, batchMessage(EmptySchema.typeName, batch))).commands).toHaveLength(2);
    // The third waits for the next batch, still open to changes.
    expect(commands.map((c) => (c as { sealed: boolean }).sealed)).toEqual([true, true, false]);
  });

  it("gives back a command over the budget on its own as too large, with nothing to send", () => {
    const big = start(1, "x".repeat(5000));
    const { batch, taken, tooLarge } = encodeBatch(new ProtoWriter(16), [big, start(2)], 1000);
    expect(taken).toBe(1);
    expect(tooLarge).toBeGreaterThan(5000);
    expect(batch).toEqual({ unknownFields: [], bytes: 0 });
    expect((big as { sealed: boolean }).sealed).toBe(false);
  });
});

describe("readBatchResults", () => {
  it("reports successes as undefined and decodes command errors", () => {
    const response = create(IngestBatchResponseSchema, {
      results: [
        { result: { case: "startSpan", value: { traceparent: "00-x" } } },
        { result: { case: "error", value: { code: 9, reason: "TRACE_COMPLETED", message: "no", metadata: { a: "b" } } } },
        { result: { case: "endSpan", value: {} } },
      ],
    });
    const asEmpty = fromBinary(EmptySchema, toBinary(IngestBatchResponseSchema, response));
    expect(readBatchResults(asEmpty.$unknown)).toEqual([undefined, { code: 9, reason: "TRACE_COMPLETED", message: "no" }, undefined]);
  });

  it("reports a result whose error runs past its end as malformed", () => {
    // result of 3 bytes: tag of field 7 (length-delimited), a length of 9, one byte
    const truncated = Uint8Array.of(3, (7 << 3) | 2, 9, 0);
    expect(readBatchResults([{ no: 1, wireType: WireType.LengthDelimited, data: truncated }])).toEqual([
      { code: 13, reason: "MALFORMED_RESULT", message: "the server's result could not be read" },
    ]);
  });
});
