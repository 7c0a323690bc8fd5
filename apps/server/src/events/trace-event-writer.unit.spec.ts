import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  KeyValueSchema,
  OrphanReason,
  SpanEndReason,
  SpanKind,
  SpanOrphanedSchema,
  SpanStartedSchema,
  StatusCode,
  TraceCompletionReason,
  TraceEventSchema,
  type KeyValue,
} from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { CHILD, ROOT, attr, attributesUpdated, errorOccurred, eventRecorded, spanEnded, spanStarted, traceCompleted, traceStarted } from "../domain/testing/trace-fixtures.js";
import { TRACE } from "../domain/testing/trace-specification.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import { eventKind } from "./trace-event-codec.js";
import { markSharedAttributes, writeTraceEvent } from "./trace-event-writer.js";

const kv = (init: MessageInitShape<typeof KeyValueSchema>): KeyValue => create(KeyValueSchema, init);

/** Every kind of value, the edges protobuf cares about, and values long enough to need multi-byte lengths. */
const everyValue: KeyValue[] = [
  attr("s", "plain"),
  attr("empty string", ""),
  attr("unicode", "naïve ☃ 𝄞 ".repeat(20)),
  attr("long", "x".repeat(300)),
  attr("true", true),
  kv({ key: "false", value: { value: { case: "boolValue", value: false } } }),
  attr("zero", 0),
  kv({ key: "negative", value: { value: { case: "intValue", value: -1n } } }),
  kv({ key: "min", value: { value: { case: "intValue", value: -9_223_372_036_854_775_808n } } }),
  kv({ key: "max", value: { value: { case: "intValue", value: 9_223_372_036_854_775_807n } } }),
  kv({ key: "double", value: { value: { case: "doubleValue", value: -0.1 } } }),
  kv({ key: "double zero", value: { value: { case: "doubleValue", value: 0 } } }),
  kv({ key: "bytes", value: { value: { case: "bytesValue", value: new Uint8Array([0, 1, 255]) } } }),
  kv({ key: "no bytes", value: { value: { case: "bytesValue", value: new Uint8Array(0) } } }),
  kv({
    key: "array",
    value: { value: { case: "arrayValue", value: { values: [{ value: { case: "stringValue", value: "a" } }, {}, { value: { case: "arrayValue", value: { values: [{ value: { case: "intValue", value: 7n } }] } } }] } } },
  }),
  kv({ key: "map", value: { value: { case: "kvlistValue", value: { values: [attr("inner", "v"), { $typeName: "traceledger.v1.KeyValue", key: "unset" }] } } } }),
  kv({ key: "no value" }),
  kv({ key: "empty value", value: {} }),
  kv({ key: "", value: { value: { case: "stringValue", value: "empty key" } } }),
];

const many = Array.from({ length: 40 }, (_, i) => attr(`k${i}`, "v".repeat(i * 10)));

/** Every event type with every kind of value; the reader's spec reads the same. */
export const WRITER_CASES: Array<[string, TraceEventCase]> = [
  ["TraceStarted", traceStarted()],
  ["TraceStarted, defaults", { case: "traceStarted", value: create(TraceEventSchema.fields[0]!.message! as never) as never }],
  ["SpanStarted", spanStarted(CHILD, { parentSpanId: ROOT, parentIsRemote: true, attributes: everyValue, resourceAttributes: many, tracestate: "a=1,b=2", scopeName: "scope", flags: 0x301, kind: SpanKind.CLIENT, dropped: 3, truncated: 300, droppedEvents: 7, droppedLinks: 200 })],
  [
    "SpanStarted with its provenance",
    spanStarted(CHILD, {
      parentSpanId: ROOT,
      scopeName: "scope",
      provenance: {
        scopeVersion: "1.0.0-rc.1",
        scopeAttributes: everyValue,
        scopeDroppedAttributesCount: 300,
        scopeSchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
        resourceSchemaUrl: "https://opentelemetry.io/schemas/1.24.0",
        resourceDroppedAttributesCount: 2,
      },
    }),
  ],
  [
    "SpanStarted with links",
    spanStarted(ROOT, {
      links: [
        { $typeName: "traceledger.v1.SpanLink", traceId: hexToBytes(TRACE), spanId: hexToBytes(CHILD), tracestate: "x=y", attributes: [attr("l", 1)], droppedAttributesCount: 2, flags: 1 },
        { $typeName: "traceledger.v1.SpanLink", traceId: hexToBytes(TRACE), spanId: hexToBytes(ROOT), tracestate: "", attributes: [], droppedAttributesCount: 0, flags: 0 },
      ],
    }),
  ],
  ["SpanEnded", spanEnded(CHILD, { statusCode: StatusCode.ERROR, statusMessage: "é".repeat(200), endReason: SpanEndReason.CANCELLED, attributes: everyValue, name: "GET /orders/{id} ✓" })],
  ["SpanEnded, no status", { case: "spanEnded", value: { ...(spanEnded(ROOT).value as never as object), status: undefined } as never }],
  ["SpanErrorOccurred", errorOccurred(CHILD, { stacktrace: "at x\n".repeat(100), escaped: true, attributes: everyValue })],
  ["SpanEventRecorded", eventRecorded(CHILD, { attributes: many })],
  ["SpanAttributeUpdated", attributesUpdated(CHILD, { attributes: everyValue })],
  ["SpanOrphaned", { case: "spanOrphaned", value: create(SpanOrphanedSchema, { traceId: hexToBytes(TRACE), spanId: hexToBytes(CHILD), closedTimeUnixNano: 1n << 63n, reason: OrphanReason.TIMEOUT, openDurationNano: (1n << 64n) - 1n }) }],
  ["TraceCompleted", traceCompleted({ spans: 300, errors: 2, orphans: 1, late: 129, reason: TraceCompletionReason.TIMED_OUT })],
];

/** A SpanStarted that carries `list` itself, as the spans of one OTLP resource do (the fixture copies its lists). */
function carrying(list: KeyValue[], spanId: string): TraceEventCase {
  const event = spanStarted(spanId);
  if (event.case === "spanStarted") event.value.resourceAttributes = list;
  return event;
}

function protobufEs(event: TraceEventCase): string {
  const { schema } = eventKind(event.value.$typeName.slice("traceledger.v1.".length));
  return Buffer.from(toBinary(schema, event.value as never)).toString("hex");
}

describe("writeTraceEvent", () => {
  it.each(WRITER_CASES)("writes %s exactly as protobuf-es does", (_, event) => {
    expect(Buffer.from(writeTraceEvent(event)).toString("hex")).toBe(protobufEs(event));
  });

  it("copies the bytes an attribute arrived with", () => {
    const bytes = Buffer.from(toBinary(KeyValueSchema, attr("http.route", "/orders/{id}")));
    const received = Buffer.concat([Buffer.from("junk before"), bytes, Buffer.from("junk after")]);
    const start = "junk before".length;
    const wire = Object.assign(attr("ignored", "the bytes win"), { wireSource: received, wireStart: start, wireEnd: start + bytes.length });
    const written = writeTraceEvent(spanStarted(ROOT, { attributes: [wire, attr("n", 1)] }));
    expect(written).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(written)).toBe(false);
    const decoded = fromBinary(SpanStartedSchema, written);
    expect(decoded.attributes.map((a) => [a.key, a.value?.value.value])).toEqual([
      ["http.route", "/orders/{id}"],
      ["n", 1n],
    ]);
  });

  it("keeps every payload intact while later events fill the slab and move to new ones", () => {
    const events = Array.from({ length: 3000 }, (_, i) => spanStarted(CHILD, { name: `op ${i}`, attributes: i % 100 === 7 ? [attr("big", "y".repeat(300_000 + i))] : many }));
    const written = events.map((e) => writeTraceEvent(e));
    events.forEach((e, i) => expect(Buffer.from(written[i]!).toString("hex"), `event ${i}`).toBe(protobufEs(e)));
  });

  it("encodes a list marked shared once, and the same bytes each time", () => {
    // Encoding an attribute reads its key; copying the list's remembered bytes does not.
    let keyReads = 0;
    const host = attr("host.name", "h1");
    Object.defineProperty(host, "key", { enumerable: true, get: () => (keyReads++, "host.name") });
    const resource = [attr("service.name", "orders"), host];
    markSharedAttributes(resource);
    const events = [ROOT, CHILD, ROOT].map((spanId) => carrying(resource, spanId));
    const written = events.map((event) => Buffer.from(writeTraceEvent(event)).toString("hex"));
    expect(keyReads).toBe(1);
    expect(written).toEqual(events.map(protobufEs));
  });

  it("hands a message with unknown fields to protobuf-es, which keeps them", () => {
    const withUnknown = traceStarted();
    (withUnknown.value as { $unknown?: unknown }).$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([5]) }];
    expect(Buffer.from(writeTraceEvent(withUnknown)).toString("hex")).toBe(protobufEs(withUnknown));
  });
});
