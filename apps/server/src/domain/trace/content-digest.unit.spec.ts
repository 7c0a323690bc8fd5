// A retry is told from a reuse of its id by a digest of what it carries: two different
// lists of attributes must not write the same text before it is hashed.

import { create } from "@bufbuild/protobuf";
import { AnyValueSchema, ArrayValueSchema, KeyValueSchema, type AnyValue } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { attributesDigest } from "./content-digest.js";

const kv = (key: string, value: AnyValue["value"]) => create(KeyValueSchema, { key, value: create(AnyValueSchema, { value }) });
const str = (value: string) => ({ case: "stringValue" as const, value });
const arr = (...values: AnyValue["value"][]) => ({ case: "arrayValue" as const, value: create(ArrayValueSchema, { values: values.map((value) => create(AnyValueSchema, { value })) }) });
const dbl = (value: number) => ({ case: "doubleValue" as const, value });

describe("attributesDigest", () => {
  it.each([
    ["array items with a separator inside one", [kv("tags", arr(str("a"), str("b")))], [kv("tags", arr(str("a\u0003sb")))]],
    ["-0 and 0", [kv("ratio", dbl(-0))], [kv("ratio", dbl(0))]],
    ["a key ending where a value begins", [kv("a\u0001sb", str("c"))], [kv("a", str("b\u0001sc"))]],
    ["pairs split differently", [kv("a", str("b\u0002c\u0001sd"))], [kv("a", str("b")), kv("c", str("d"))]],
    ["an empty array and an array of one empty string", [kv("k", arr())], [kv("k", arr(str("")))]],
  ])("tells apart %s", (_, one, other) => {
    expect(attributesDigest(one)).not.toBe(attributesDigest(other));
  });

  it("is the same for the same attributes", () => {
    expect(attributesDigest([kv("tags", arr(str("a"), str("b"))), kv("ratio", dbl(0.5))])).toBe(attributesDigest([kv("tags", arr(str("a"), str("b"))), kv("ratio", dbl(0.5))]));
  });
});
