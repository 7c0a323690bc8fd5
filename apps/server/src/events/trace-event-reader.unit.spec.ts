import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CHILD, ROOT, attr, spanEnded, spanStarted, traceStarted } from "../domain/testing/trace-fixtures.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { eventKind } from "./trace-event-codec.js";
import { readTraceEvent } from "./trace-event-reader.js";
import { WRITER_CASES } from "./trace-event-writer.unit.spec.js";

function stored(event: TraceEventCase): { type: string; payload: Uint8Array } {
  const type = event.value.$typeName.slice("traceledger.v1.".length);
  return { type, payload: toBinary(eventKind(type).schema, event.value as never) };
}

describe("readTraceEvent", () => {
  it.each(WRITER_CASES)("reads %s exactly as protobuf-es does", (_, event) => {
    const { type, payload } = stored(event);
    const read = readTraceEvent(type, payload);
    expect(read).toBeDefined();
    expect(read!.case).toBe(event.case);
    expect(read!.value).toEqual(fromBinary(eventKind(type).schema, payload));
  });

  it.each(WRITER_CASES)("reads %s without attributes: the same but for empty attribute lists, links, resource and scope", (_, event) => {
    const { type, payload } = stored(event);
    const full = fromBinary(eventKind(type).schema, payload) as Record<string, unknown>;
    const expected = { ...full };
    for (const list of ["attributes", "links", "resourceAttributes", "scopeAttributes"]) if (list in expected) expected[list] = [];
    expect(readTraceEvent(type, payload, true)!.value).toEqual(expected);
    // The option holds for one read only.
    expect(readTraceEvent(type, payload)!.value).toEqual(full);
  });

  it("reads from a Buffer that is a slice of a larger one, giving plain Uint8Array bytes", () => {
    const { type, payload } = stored(spanStarted(CHILD, { parentSpanId: ROOT, attributes: [attr("k", "v")] }));
    const big = Buffer.concat([Buffer.from("before"), payload, Buffer.from("after")]);
    const read = readTraceEvent(type, big.subarray(6, 6 + payload.length))!;
    const value = read.value as { spanId: Uint8Array; parentSpanId: Uint8Array };
    expect(Buffer.isBuffer(value.spanId)).toBe(false);
    expect(Buffer.from(value.spanId).toString("hex")).toBe(CHILD);
    expect(Buffer.from(value.parentSpanId).toString("hex")).toBe(ROOT);
  });

  it("gives up on what protobuf-es must read: unknown fields, a status twice, a wrong wire type, truncation", () => {
    const { type, payload } = stored(traceStarted());
    expect(readTraceEvent(type, Buffer.concat([payload, Buffer.from([0x98, 0x06, 0x01])]))).toBeUndefined();
    const ended = stored(spanEnded(ROOT));
    const status = Buffer.from([0x22, 0x02, 0x18, 0x01]);
    expect(readTraceEvent(ended.type, Buffer.concat([ended.payload, status, status]))).toBeUndefined();
    expect(readTraceEvent(type, Buffer.from([0x11, 0x01]))).toBeUndefined();
    expect(readTraceEvent(type, payload.subarray(0, payload.length - 2))).toBeUndefined();
    expect(readTraceEvent("NoSuchEvent", payload)).toBeUndefined();
  });
});
