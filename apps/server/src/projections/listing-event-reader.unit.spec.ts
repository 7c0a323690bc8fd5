import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnyValueSchema, ArrayValueSchema, KeyValueListSchema, KeyValueSchema, SpanEndedSchema, StatusCode, type AnyValue, type KeyValue } from "@traceledger/proto";
import { CHILD, ROOT, attr, attributesUpdated, errorOccurred, eventRecorded, spanEnded, spanStarted, traceCompleted, traceStarted } from "../domain/testing/trace-fixtures.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import { decodeTraceEvent, encodeTraceEvent } from "../events/trace-event-codec.js";
import { JsonMembers } from "./json-members.js";
import { listingEventOf, readListingEvent, type ListingEvent } from "./listing-event-reader.js";

const value = (v: AnyValue["value"]): AnyValue => create(AnyValueSchema, { value: v });
const kv = (key: string, v?: AnyValue): KeyValue => create(KeyValueSchema, v ? { key, value: v } : { key });

/** Every kind of attribute value, nested lists included, and the odd key. */
const EVERY_VALUE: KeyValue[] = [
  attr("s", 'quote " backslash \\ and ünïcode'),
  attr("b", true),
  kv("f", value({ case: "boolValue", value: false })),
  kv("i", value({ case: "intValue", value: 42n })),
  kv("neg", value({ case: "intValue", value: -7n })),
  kv("big", value({ case: "intValue", value: 9_007_199_254_740_993n })),
  kv("max", value({ case: "intValue", value: 9_223_372_036_854_775_807n })),
  kv("d", value({ case: "doubleValue", value: 0.1 })),
  kv("inf", value({ case: "doubleValue", value: -Infinity })),
  kv("bytes", value({ case: "bytesValue", value: Uint8Array.from([0, 0xab, 0xff]) })),
  kv("arr", value({ case: "arrayValue", value: create(ArrayValueSchema, { values: [value({ case: "stringValue", value: "x" }), value({ case: "intValue", value: 1n }), value({ case: undefined })] }) })),
  kv("kv", value({ case: "kvlistValue", value: create(KeyValueListSchema, { values: [kv("a", value({ case: "boolValue", value: true })), kv("nested", value({ case: "arrayValue", value: create(ArrayValueSchema) })), kv("none")] }) })),
  kv("empty", value({ case: undefined })),
  kv("absent"),
  kv(""),
  attr("s", "set again"),
  attr("control\n\t\u0001", "tab\there, newline\n, nul\u0000, emoji 🎉"),
];

/** The event with its attributes as the JSON object they make (and the members' text, to see duplicates kept in order). */
function withAttributes(e: ListingEvent | undefined, members: JsonMembers) {
  if (!e) return e;
  const { attributesStart, attributesEnd, ...fields } = e;
  const text = members.text(attributesStart, attributesEnd);
  return { ...fields, attributes: JSON.parse(`{${text}}`) as Record<string, string>, keys: JSON.parse(`[${text.replace(/":("(?:[^"\\]|\\.)*")/g, '"')}]`) as string[] };
}

describe("the listing's reader of stored events", () => {
  it("reads the same fields from the bytes as from the decoded messages, for every event and attribute value", () => {
    const events = [
      traceStarted(),
      spanStarted(ROOT, { attributes: EVERY_VALUE, name: "GET /", serviceName: "gateway" }),
      spanStarted(CHILD, { parentSpanId: ROOT }),
      spanEnded(CHILD, { statusCode: StatusCode.ERROR, attributes: EVERY_VALUE }),
      spanEnded(ROOT, { name: "GET /users/{id} ✓" }),
      errorOccurred(CHILD),
      eventRecorded(CHILD),
      attributesUpdated(CHILD, { attributes: EVERY_VALUE }),
      traceCompleted({}),
    ];
    const members = new JsonMembers();
    for (const event of events) {
      const { type, payload } = encodeTraceEvent(event);
      const read = withAttributes(readListingEvent(type, payload, members), members);
      expect(read, type).toBeDefined();
      expect(read).toEqual(withAttributes(listingEventOf(decodeTraceEvent(type, payload), members), members));
    }
    const root = withAttributes(readListingEvent("SpanStarted", encodeTraceEvent(events[1]!).payload, members), members)!;
    expect(root.attributes).toMatchObject({ s: "set again", big: "9007199254740993", arr: "[x,1,]", kv: "{a=true,nested=[],none=}", bytes: "00abff" });
    // jsonb cannot hold U+0000: the listing keeps it as U+FFFD (database/listed-text.ts).
    expect(root.attributes["control\n\t\u0001"]).toBe("tab\there, newline\n, nul\uFFFD, emoji 🎉");
    expect(root.keys.filter((k) => k === "s")).toHaveLength(2);
    expect(readListingEvent("SpanEnded", encodeTraceEvent(events[4]!).payload, members)?.name).toBe("GET /users/{id} ✓");
  });

  it("leaves to the shared reader what protobuf would merge, and refuses what it cannot read", () => {
    // A status given twice: protobuf merges the two messages.
    const once = toBinary(SpanEndedSchema, create(SpanEndedSchema, { spanId: hexToBytes(CHILD), status: { code: StatusCode.OK } }));
    const twice = Buffer.concat([once, toBinary(SpanEndedSchema, create(SpanEndedSchema, { status: { code: StatusCode.ERROR } }))]);
    const members = new JsonMembers();
    expect(readListingEvent("SpanEnded", twice, members)).toBeUndefined();
    expect(listingEventOf(decodeTraceEvent("SpanEnded", twice), members)).toMatchObject({ spanId: CHILD, statusCode: StatusCode.ERROR });
    expect(readListingEvent("SpanEnded", once.subarray(0, once.length - 1), members)).toBeUndefined();
    expect(readListingEvent("NoSuchEvent", once, members)).toBeUndefined();
    // A payload given up on halfway leaves nothing behind in the members.
    const attributes = encodeTraceEvent(attributesUpdated(CHILD, { attributes: [attr("a", "b"), attr("c", "d")] })).payload;
    expect(readListingEvent("SpanAttributeUpdated", attributes.subarray(0, attributes.length - 2), members)).toBeUndefined();
    expect(members.length).toBe(0);
  });
});
