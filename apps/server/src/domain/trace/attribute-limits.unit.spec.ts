import { describe, expect, it } from "vitest";
import { create, toJson } from "@bufbuild/protobuf";
import { KeyValueSchema, SpanLinkSchema } from "@traceledger/proto";
import { given } from "../testing/trace-specification.js";
import { attr, CHILD, ROOT, runningTrace, setSpanAttributes, spanStarted, startSpan, traceStarted } from "../testing/trace-fixtures.js";
import { limitAttributes } from "./attribute-limits.js";

const many = (n: number, prefix = "k") => Array.from({ length: n }, (_, i) => attr(`${prefix}${i}`, i));

describe("attribute limits: truncation is recorded, not silent", () => {
  it("keeps at most the count limit of distinct keys and counts the dropped ones", () => {
    const { events, outcome } = given([], { limits: { countLimit: 128, valueLengthLimit: Infinity } })
      .when(startSpan(ROOT, { attributes: many(130) }))
      .thenAccepted();
    const started = events[1]!.value as { attributes: unknown[]; droppedAttributesCount: number };
    expect(started.attributes).toHaveLength(128);
    expect(started.droppedAttributesCount).toBe(2);
    expect(outcome).toMatchObject({ limited: 2 });
  });

  it("shortens long values to the length limit and counts them", () => {
    const { events } = given([], { limits: { countLimit: 128, valueLengthLimit: 4 } })
      .when(startSpan(ROOT, { attributes: [attr("long", "abcdefgh"), attr("short", "abc"), attr("n", 123456)] }))
      .thenAccepted();
    const started = events[1]!.value as { attributes: { key: string; value?: { value: { value: unknown } } }[]; truncatedValuesCount: number };
    expect(started.attributes.map((kv) => kv.value?.value.value)).toEqual(["abcd", "abc", 123456n]);
    expect(started.truncatedValuesCount).toBe(1);
  });

  it("never cuts a character in half: a surrogate pair at the limit is left out whole", () => {
    const { events } = given([], { limits: { countLimit: 128, valueLengthLimit: 4 } })
      .when(startSpan(ROOT, { attributes: [attr("cut", "abc\u{1F600}z"), attr("fits", "ab\u{1F600}z"), attr("plain", "abcdef")] }))
      .thenAccepted();
    const started = events[1]!.value as { attributes: { value?: { value: { value: unknown } } }[]; truncatedValuesCount: number };
    expect(started.attributes.map((kv) => kv.value?.value.value)).toEqual(["abc", "ab\u{1F600}", "abcd"]);
    expect(started.truncatedValuesCount).toBe(3);
  });

  it("limits a link's attributes as the span's, counting what is dropped on the link", () => {
    const link = create(SpanLinkSchema, { traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), attributes: [attr("a", "abcdef"), attr("b", 1), attr("c", 2)], droppedAttributesCount: 1 });
    const { events } = given([], { limits: { countLimit: 2, valueLengthLimit: 3 } })
      .when(startSpan(ROOT, { links: [link] }))
      .thenAccepted();
    const stored = (events[1]!.value as { links: { attributes: { key: string; value?: { value: { value: unknown } } }[]; droppedAttributesCount: number }[] }).links[0]!;
    expect(stored.attributes.map((kv) => [kv.key, kv.value?.value.value])).toEqual([["a", "abc"], ["b", 1n]]);
    expect(stored.droppedAttributesCount).toBe(2);
  });

  it("refuses an empty key at any depth, in a map, in an array, or on a link", () => {
    const nested = create(KeyValueSchema, { key: "m", value: { value: { case: "kvlistValue", value: { values: [{ key: "", value: { value: { case: "intValue", value: 1n } } }] } } } });
    const inArray = create(KeyValueSchema, { key: "l", value: { value: { case: "arrayValue", value: { values: [nested.value!] } } } });
    given([]).when(startSpan(ROOT, { attributes: [nested] })).thenRejected("INVALID_ATTRIBUTE");
    given([]).when(startSpan(ROOT, { attributes: [inArray] })).thenRejected("INVALID_ATTRIBUTE");
    const link = create(SpanLinkSchema, { traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), attributes: [attr("", 1)] });
    given([]).when(startSpan(ROOT, { links: [link] })).thenRejected("INVALID_ATTRIBUTE");
  });

  it("lets a full span update keys it has but not add new ones", () => {
    const full = [traceStarted(), spanStarted(ROOT), spanStarted(CHILD, { parentSpanId: ROOT, attributes: many(3) })];
    const { events, outcome } = given(full, { limits: { countLimit: 3, valueLengthLimit: Infinity } })
      .when(setSpanAttributes(CHILD, { attributes: [attr("k0", "updated"), attr("new", 1)] }))
      .thenAccepted();
    const update = events[0]!.value as { attributes: { key: string }[]; droppedAttributesCount: number };
    expect(update.attributes.map((kv) => kv.key)).toEqual(["k0"]);
    expect(update.droppedAttributesCount).toBe(1);
    expect(outcome).toMatchObject({ type: "AttributesSet", limited: 1 });
  });

  it("recognises a retried update whose attributes were partly dropped", () => {
    const limits = { countLimit: 3, valueLengthLimit: Infinity };
    const command = setSpanAttributes(CHILD, { attributes: [attr("a", 1), attr("b", 2), attr("c", 3), attr("d", 4)] });
    const first = given(runningTrace(), { limits }).when(command).thenAccepted();
    given([...runningTrace(), ...first.events], { limits }).when(command).then([]);
  });

  it("shortens strings nested in arrays and maps, counting each, and leaves short values untouched", () => {
    const str = (value: string) => ({ value: { case: "stringValue" as const, value } });
    const nested = create(KeyValueSchema, {
      key: "nested",
      value: {
        value: {
          case: "arrayValue",
          value: { values: [str("abcdef"), str("ab"), { value: { case: "kvlistValue", value: { values: [{ key: "inner", value: str("uvwxyz") }] } } }] },
        },
      },
    });
    const short = attr("short", "abc");
    const limited = limitAttributes([nested, short], { countLimit: 10, valueLengthLimit: 4 });
    expect(limited.truncated).toBe(2);
    expect(limited.dropped).toBe(0);
    expect(toJson(KeyValueSchema, limited.attributes[0]!)).toEqual({
      key: "nested",
      value: { arrayValue: { values: [{ stringValue: "abcd" }, { stringValue: "ab" }, { kvlistValue: { values: [{ key: "inner", value: { stringValue: "uvwx" } }] } }] } },
    });
    expect(limited.attributes[1]).toBe(short);
  });
});
