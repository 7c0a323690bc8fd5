// OTLP common.v1 KeyValue / AnyValue, read into traceledger.v1's messages of
// the same shape (the two are wire-identical, field for field), as literals
// with every field instead of protobuf-es create().
//
// Each KeyValue also keeps where its bytes are in the request (WireEncoded):
// the stored event copies them instead of encoding the attribute again. They
// are read and checked here as any decoder would (wire types, lengths,
// nesting), because every reader of the log, in any language, must decode
// them; an attribute with a string that is not UTF-8 is not copied but
// re-encoded from what was read (with U+FFFD).
//
// OTLP's attributes are read lazily (readKeyValueLazily): the key at once (the
// trace's state keeps running spans' keys), the value only checked, and decoded
// when something asks for it. Nearly every value is only copied as bytes, and
// everything read from a request lives until its commit, where each object
// costs the young-generation GC a copy.

import type { AnyValue, KeyValue } from "@traceledger/proto";
import { MAX_ATTRIBUTE_DEPTH } from "../domain/trace/span-validation.js";
import { MalformedOtlp, ProtobufCursor, WIRE_FIXED64, WIRE_LENGTH, WIRE_VARINT } from "./protobuf-cursor.js";
import type { WireEncoded } from "../events/trace-event-writer.js";

/**
 * Reads one KeyValue whose length prefix the cursor stands at. It keeps where
 * its bytes are (WireEncoded), unless one of its strings was not UTF-8.
 */
export function readKeyValue(c: ProtobufCursor, depth = 1): KeyValue {
  const end = c.lengthEnd();
  const start = c.pos;
  const invalidBefore = c.invalidUtf8;
  let key = "";
  let value: AnyValue | undefined;
  while (c.pos < end) {
    const tag = c.tag();
    if (tag === 0x0a) key = c.string();
    // A value given twice is read into the first, as protobuf merges a message field.
    else if (tag === 0x12) value = readAnyValue(c, depth, value);
    else c.skip(tag & 7);
  }
  c.endOf(end);
  const kv: KeyValue & WireEncoded = {
    $typeName: "traceledger.v1.KeyValue",
    key,
    value,
    wireSource: c.invalidUtf8 === invalidBefore ? c.buf : undefined,
    wireStart: start,
    wireEnd: end,
  };
  return kv;
}

/**
 * Reads one KeyValue whose length prefix the cursor stands at: its key, and
 * where its value is, checked as readKeyValue would read it. One with a string
 * that is not UTF-8 is read at once (readKeyValue) and so not copied.
 *
 * Undefined for an attribute with an empty key, its own or one of a map inside
 * its value, or whose value nests deeper than the depth limit: OTLP's
 * attribute rules make such an attribute invalid, and the span keeps the rest
 * (the caller counts it dropped) instead of being refused, or the request with it.
 */
export function readKeyValueLazily(c: ProtobufCursor): KeyValue | undefined {
  const at = c.pos;
  const end = c.lengthEnd();
  const start = c.pos;
  const invalidBefore = c.invalidUtf8;
  let key = "";
  let valueAt = -1;
  let values = 0;
  emptyNestedKey = false;
  while (c.pos < end) {
    const tag = c.tag();
    if (tag === 0x0a) key = c.string();
    else if (tag === 0x12) {
      valueAt = c.pos;
      values++;
      try {
        checkAnyValue(c, 1);
      } catch (error) {
        if (!(error instanceof AttributeTooDeep)) throw error;
        // The attribute's length is known: step over the rest of it.
        c.pos = end;
        return undefined;
      }
    } else c.skip(tag & 7);
  }
  c.endOf(end);
  if (key === "" || emptyNestedKey) return undefined;
  // A value given twice is one value, merged (read at once): decoded from one place it would
  // be only the last, and the checks and limits would see less than the stored bytes hold.
  if (c.invalidUtf8 !== invalidBefore || values > 1) {
    c.pos = at;
    return readKeyValue(c);
  }
  const kv: KeyValue & WireEncoded = {
    $typeName: "traceledger.v1.KeyValue",
    key,
    value: valueAt < 0 ? undefined : new LazyAnyValue(c.buf, valueAt, end),
    wireSource: c.buf,
    wireStart: start,
    wireEnd: end,
  };
  return kv;
}

/**
 * An AnyValue decoded from its bytes when its value is first read. The bytes
 * were checked when it was made, so decoding cannot fail. protobuf-es reads a
 * oneof through its property, so the getter serves reflection too (toBinary,
 * toJson); a message field must be an own property, hence the KeyValue stays
 * a plain object holding this.
 */
class LazyAnyValue implements AnyValue {
  readonly $typeName = "traceledger.v1.AnyValue";
  private decoded: AnyValue["value"] | undefined;

  constructor(
    private readonly source: Buffer,
    /** Where the value's length prefix is. */
    private readonly at: number,
    private readonly end: number,
  ) {}

  get value(): AnyValue["value"] {
    return (this.decoded ??= readAnyValue(new ProtobufCursor(this.source, this.at, this.end), 1).value);
  }

  /** JSON (logs, test snapshots) shows the value, as for any other AnyValue. */
  toJSON(): object {
    return { $typeName: this.$typeName, value: this.value };
  }
}

/** Set by checkKeyValue when a map inside the value being checked has an empty key. */
let emptyNestedKey = false;

/**
 * Values nest arrays and maps inside each other; each level is two messages for a
 * decoder, and many decoders stop at 100 (C++, Java, Python): past the domain's
 * depth limit a value is not read further, which also keeps every recursive
 * reader of it (here, the domain, the stored event's writers) off the stack's end.
 */
function checkDepth(depth: number): void {
  if (depth > MAX_ATTRIBUTE_DEPTH) throw new AttributeTooDeep(`an attribute value nests arrays and maps more than ${MAX_ATTRIBUTE_DEPTH} levels deep`);
}

/** Malformed where a reader must decode the value; an invalid attribute where it may be left out (readKeyValueLazily). */
class AttributeTooDeep extends MalformedOtlp {}

/** Steps over one AnyValue whose length prefix the cursor stands at, checking what readAnyValue would read. */
function checkAnyValue(c: ProtobufCursor, depth: number): void {
  checkDepth(depth);
  const end = c.lengthEnd();
  while (c.pos < end) {
    const tag = c.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(wireType, WIRE_LENGTH, "string_value");
        c.skipString();
        break;
      case 2:
        expectWire(wireType, WIRE_VARINT, "bool_value");
        c.skipVarint();
        break;
      case 3:
        expectWire(wireType, WIRE_VARINT, "int_value");
        c.skipVarint();
        break;
      case 4:
        expectWire(wireType, WIRE_FIXED64, "double_value");
        c.skip(WIRE_FIXED64);
        break;
      case 5: {
        expectWire(wireType, WIRE_LENGTH, "array_value");
        const arrayEnd = c.lengthEnd();
        while (c.pos < arrayEnd) {
          const inner = c.tag();
          if (inner === 0x0a) checkAnyValue(c, depth + 1);
          else c.skip(inner & 7);
        }
        c.endOf(arrayEnd);
        break;
      }
      case 6: {
        expectWire(wireType, WIRE_LENGTH, "kvlist_value");
        const listEnd = c.lengthEnd();
        while (c.pos < listEnd) {
          const inner = c.tag();
          if (inner === 0x0a) checkKeyValue(c, depth + 1);
          else c.skip(inner & 7);
        }
        c.endOf(listEnd);
        break;
      }
      case 7:
        expectWire(wireType, WIRE_LENGTH, "bytes_value");
        c.skip(WIRE_LENGTH);
        break;
      default:
        c.skip(wireType);
    }
  }
  c.endOf(end);
}

function checkKeyValue(c: ProtobufCursor, depth: number): void {
  const end = c.lengthEnd();
  let keyed = false;
  while (c.pos < end) {
    const tag = c.tag();
    if (tag === 0x0a) {
      const before = c.pos;
      c.skipString();
      // A length of 0 (one byte) is an empty key; a key given twice counts as its last.
      keyed = c.pos - before > 1;
    } else if (tag === 0x12) checkAnyValue(c, depth);
    else c.skip(tag & 7);
  }
  c.endOf(end);
  if (!keyed) emptyNestedKey = true;
}

/**
 * Reads one AnyValue whose length prefix the cursor stands at, into objects;
 * into `merged`, when the same field gave an AnyValue before (protobuf's rule
 * for a message field given twice: fields read later replace a oneof member,
 * except the same list member, whose entries add up).
 */
function readAnyValue(c: ProtobufCursor, depth: number, merged?: AnyValue): AnyValue {
  checkDepth(depth);
  const end = c.lengthEnd();
  let value: AnyValue["value"] = merged?.value ?? { case: undefined };
  while (c.pos < end) {
    const tag = c.tag();
    const fieldNumber = tag >>> 3;
    const wireType = tag & 7;
    switch (fieldNumber) {
      case 1:
        expectWire(wireType, WIRE_LENGTH, "string_value");
        value = { case: "stringValue", value: c.string() };
        break;
      case 2:
        expectWire(wireType, WIRE_VARINT, "bool_value");
        value = { case: "boolValue", value: c.int64() !== 0n };
        break;
      case 3:
        expectWire(wireType, WIRE_VARINT, "int_value");
        value = { case: "intValue", value: c.int64() };
        break;
      case 4:
        expectWire(wireType, WIRE_FIXED64, "double_value");
        value = { case: "doubleValue", value: c.double() };
        break;
      case 5: {
        expectWire(wireType, WIRE_LENGTH, "array_value");
        const arrayEnd = c.lengthEnd();
        // The same message member again merges into it (its repeated field grows), as protobuf reads it:
        // entries are added one by one, as push(...list) would pass a long list as arguments, past the stack.
        if (value.case !== "arrayValue") value = { case: "arrayValue", value: { $typeName: "traceledger.v1.ArrayValue", values: [] } };
        const values = value.value.values;
        while (c.pos < arrayEnd) {
          const inner = c.tag();
          if (inner === 0x0a) values.push(readAnyValue(c, depth + 1));
          else c.skip(inner & 7);
        }
        c.endOf(arrayEnd);
        break;
      }
      case 6: {
        expectWire(wireType, WIRE_LENGTH, "kvlist_value");
        const listEnd = c.lengthEnd();
        if (value.case !== "kvlistValue") value = { case: "kvlistValue", value: { $typeName: "traceledger.v1.KeyValueList", values: [] } };
        const values = value.value.values;
        while (c.pos < listEnd) {
          const inner = c.tag();
          if (inner === 0x0a) values.push(readKeyValue(c, depth + 1));
          else c.skip(inner & 7);
        }
        c.endOf(listEnd);
        break;
      }
      case 7:
        expectWire(wireType, WIRE_LENGTH, "bytes_value");
        value = { case: "bytesValue", value: c.bytes() };
        break;
      default:
        c.skip(wireType);
    }
  }
  c.endOf(end);
  return { $typeName: "traceledger.v1.AnyValue", value };
}

function expectWire(actual: number, expected: number, field: string): void {
  if (actual !== expected) throw new MalformedOtlp(`${field} has wire type ${actual}, expected ${expected}`);
}

/** The string value of an attribute, or undefined when it is absent or not a string. */
export function stringAttribute(attributes: readonly KeyValue[], key: string): string | undefined {
  for (const kv of attributes) {
    if (kv.key === key && kv.value?.value.case === "stringValue") return kv.value.value.value;
  }
  return undefined;
}
