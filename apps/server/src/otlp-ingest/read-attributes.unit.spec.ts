// The hand-written attribute reader against protobuf-es on encodings a common
// writer does not produce but every decoder accepts: a KeyValue's value, or an
// AnyValue's list, given twice. Protobuf merges them; the stored event keeps
// the attribute's bytes, which every reader of the log decodes merged, so the
// checks and limits must see the merged value too.

import { create, fromBinary, toBinary, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import { AnyValueSchema, KeyValueSchema, type KeyValue } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { lengthDelimited } from "../../test/support/protobuf-field.js";
import { ProtobufCursor } from "./protobuf-cursor.js";
import { readKeyValue, readKeyValueLazily } from "./read-attributes.js";

type ValueInit = MessageInitShape<typeof AnyValueSchema>;
const anyValue = (init: ValueInit): Buffer => Buffer.from(toBinary(AnyValueSchema, create(AnyValueSchema, init)));
const text = (value: string): ValueInit => ({ value: { case: "stringValue", value } });
const list = (...values: ValueInit[]): ValueInit => ({ value: { case: "arrayValue", value: { values } } });
const map = (...entries: Array<[string, ValueInit]>): ValueInit => ({ value: { case: "kvlistValue", value: { values: entries.map(([key, value]) => ({ key, value })) } } });

/** KeyValue { key = 1; value = 2 } with each of `values` as one occurrence of field 2, in order. */
function keyValue(key: string, ...values: Buffer[]): Buffer {
  return Buffer.concat([lengthDelimited(0x0a, Buffer.from(key)), ...values.map((v) => lengthDelimited(0x12, v))]);
}

const cases: Array<[string, Buffer]> = [
  ["two lists: their entries add up", keyValue("k", anyValue(list(text("a"))), anyValue(list(text("b"), text("c"))))],
  ["two maps: their entries add up", keyValue("k", anyValue(map(["x", text("1")])), anyValue(map(["y", text("2")])))],
  ["a string, then a list: the list", keyValue("k", anyValue(text("s")), anyValue(list(text("a"))))],
  ["a list, then an empty value: the list", keyValue("k", anyValue(list(text("a"))), Buffer.alloc(0))],
  ["a list, then a string and a list: the second list alone", keyValue("k", anyValue(list(text("a"))), Buffer.concat([anyValue(text("s")), anyValue(list(text("b")))]))],
  ["one value whose list is given twice", keyValue("k", Buffer.concat([anyValue(list(text("a"))), anyValue(list(text("b")))]))],
  ["a map entry whose value is given twice", keyValue("k", lengthDelimited(0x32, lengthDelimited(0x0a, keyValue("inner", anyValue(list(text("a"))), anyValue(list(text("b")))))))],
];

function asJson(kv: KeyValue): unknown {
  return toJson(KeyValueSchema, kv);
}

function cursorAt(kv: Buffer): ProtobufCursor {
  return new ProtobufCursor(lengthDelimited(0x0a, kv).subarray(1));
}

describe("attributes given in pieces", () => {
  it.each(cases)("%s, as protobuf-es reads it", (_, bytes) => {
    const expected = asJson(fromBinary(KeyValueSchema, bytes));
    expect(asJson(readKeyValue(cursorAt(bytes)))).toEqual(expected);
    const lazy = readKeyValueLazily(cursorAt(bytes));
    expect(lazy && asJson(lazy)).toEqual(expected);
  });

  it("a map with an empty key in the first of two values is an invalid attribute, as it would be merged", () => {
    const bytes = keyValue("m", anyValue(map(["", text("1")])), anyValue(map(["b", text("2")])));
    expect(readKeyValueLazily(cursorAt(bytes))).toBeUndefined();
    const eager = readKeyValue(cursorAt(bytes)).value!.value;
    expect(eager.case === "kvlistValue" && eager.value.values.map((kv) => kv.key)).toEqual(["", "b"]);
  });

  // Spread into push(), a list as long as the request allows would pass the stack's argument limit.
  it.each([
    ["a list", (n: number) => lengthDelimited(0x2a, Buffer.alloc(2 * n).fill(Buffer.from([0x0a, 0x00]))), "arrayValue"],
    ["a map", (n: number) => lengthDelimited(0x32, Buffer.alloc(5 * n).fill(Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x6b]))), "kvlistValue"],
  ] as const)("%s of 150,000 entries given twice: 300,000 entries", (_, part, kind) => {
    const n = 150_000;
    const bytes = keyValue("m", part(n), part(n));
    for (const kv of [readKeyValue(cursorAt(bytes)), readKeyValueLazily(cursorAt(bytes))!]) {
      const value = kv.value!.value;
      expect([value.case, value.case === kind ? value.value.values.length : 0]).toEqual([kind, 2 * n]);
    }
  });
});
