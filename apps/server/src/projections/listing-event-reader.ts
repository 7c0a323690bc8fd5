// Stored trace events read for the ListTraces projector only: span ids as hex,
// names, times, the status code and attributes already as the JSON members
// span_index stores (each value as its attributeText), every other field
// stepped over by its wire type. Reading whole messages (events/trace-event-reader.ts)
// built a dozen fields, AnyValue objects and id views per event only for the
// projector to turn them into text; this reads the text straight from the bytes.
//
// Anything it does not expect (a declared field with another wire type, a
// field given twice that protobuf would merge, a truncated payload) makes it
// answer undefined, and the caller decodes the payload the shared way and
// takes the same fields from the messages (listingEventOf).

import { StatusCode } from "@traceledger/proto";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { attributeText } from "./attribute-text.js";
import { JsonMembers } from "./json-members.js";

export const ListingEventKind = {
  /** TraceStarted, SpanEventRecorded: touch the trace, change no span. */
  Other: 0,
  SpanStarted: 1,
  SpanEnded: 2,
  SpanOrphaned: 3,
  SpanError: 4,
  SpanAttributes: 5,
  TraceCompleted: 6,
} as const;
export type ListingEventKind = (typeof ListingEventKind)[keyof typeof ListingEventKind];

/** What the listing takes from one trace event. */
export interface ListingEvent {
  kind: ListingEventKind;
  /** Lowercase hex; "" when absent. */
  spanId: string;
  parentSpanId: string;
  name: string;
  serviceName: string;
  /** Start (SpanStarted), end (SpanEnded) or closing time (SpanOrphaned). */
  time: bigint;
  statusCode: number;
  /**
   * Where the attributes are in the JsonMembers given to the reader: JSON object
   * members, `"key":"text",...`, in wire order, in [attributesStart, attributesEnd).
   */
  attributesStart: number;
  attributesEnd: number;
}

class GiveUp extends Error {}
const GIVE_UP = new GiveUp("not a payload the listing's reader knows");
type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };
let src = Buffer.alloc(0) as NodeBuffer;
/** Where attributeMember() writes: the members given to readListingEvent. */
let out: JsonMembers = new JsonMembers();
let pos = 0;
let wireType = 0;
/** The two halves of the last varint64(). */
let low = 0;
let high = 0;

function varint(): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= src.length) throw GIVE_UP;
    const byte = src[pos++]!;
    if (shift < 28) result |= (byte & 0x7f) << shift;
    else if (shift === 28) result |= (byte & 0x0f) << 28;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift > 63) throw GIVE_UP;
  }
}

/** Reads a varint into `low` and `high` (unsigned 32-bit halves). */
function varint64(): void {
  low = 0;
  high = 0;
  let shift = 0;
  for (;;) {
    if (pos >= src.length) throw GIVE_UP;
    const byte = src[pos++]!;
    const bits = byte & 0x7f;
    if (shift < 28) low |= bits << shift;
    else if (shift === 28) {
      low |= (bits & 0x0f) << 28;
      high |= bits >>> 4;
    } else high |= bits << (shift - 32);
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 63) throw GIVE_UP;
  }
  low >>>= 0;
  high >>>= 0;
}

function fixed64(): bigint {
  if (pos + 8 > src.length) throw GIVE_UP;
  const value = src.readBigUInt64LE(pos);
  pos += 8;
  return value;
}

function lengthEnd(): number {
  const length = varint() >>> 0;
  const end = pos + length;
  if (end > src.length) throw GIVE_UP;
  return end;
}

function string(): string {
  const end = lengthEnd();
  const value = end === pos ? "" : src.utf8Slice(pos, end);
  pos = end;
  return value;
}

function hex(): string {
  const end = lengthEnd();
  const value = end === pos ? "" : src.hexSlice(pos, end);
  pos = end;
  return value;
}

function skip(): void {
  switch (wireType) {
    case 0:
      varint();
      return;
    case 1:
      pos += 8;
      break;
    case 2:
      pos = lengthEnd();
      return;
    case 5:
      pos += 4;
      break;
    default:
      throw GIVE_UP;
  }
  if (pos > src.length) throw GIVE_UP;
}

// The wire type of every field each message declares (index: field number);
// fields a message does not declare are stepped over.
const WIRE_TYPES: ReadonlyMap<string, readonly number[]> = new Map([
  ["TraceStarted", [-1, 2, 1, 0, 2]],
  ["SpanStarted", [-1, 2, 2, 2, 0, 2, 0, 2, 1, 2, 2, 2, 2, 5, 0, 0, 2]],
  ["SpanEnded", [-1, 2, 2, 1, 2, 0, 2, 0, 0]],
  ["SpanErrorOccurred", [-1, 2, 2, 2, 1, 2, 2, 2, 0, 2, 0, 0]],
  ["SpanEventRecorded", [-1, 2, 2, 2, 1, 2, 2, 0, 0]],
  ["SpanAttributeUpdated", [-1, 2, 2, 2, 2, 0, 0, 1]],
  ["SpanOrphaned", [-1, 2, 2, 1, 0, 0]],
  ["TraceCompleted", [-1, 2, 1, 1, 0, 0, 0, 0, 0, 0]],
]);
const STATUS_WIRE_TYPES: readonly number[] = [-1, -1, 2, 0];
const KEY_VALUE_WIRE_TYPES: readonly number[] = [-1, 2, 2];
const ANY_VALUE_WIRE_TYPES: readonly number[] = [-1, 2, 0, 0, 1, 2, 2, 2];
const LIST_WIRE_TYPES: readonly number[] = [-1, 2];

function field(wireTypes: readonly number[]): number {
  const tag = varint() >>> 0;
  const number = tag >>> 3;
  wireType = tag & 7;
  if (number === 0 || (number < wireTypes.length && wireTypes[number] !== wireType)) throw GIVE_UP;
  return number;
}

function statusCode(): number {
  const end = lengthEnd();
  let code = 0;
  while (pos < end) {
    if (field(STATUS_WIRE_TYPES) === 3) code = varint() | 0;
    else skip();
  }
  if (pos !== end) throw GIVE_UP;
  return code;
}

/** One KeyValue written to `out` as a JSON member, `"key":"text"`; string keys and values copied as bytes. */
function attributeMember(): void {
  const end = lengthEnd();
  let keyStart = -1;
  let keyEnd = -1;
  let valueAt = -1;
  while (pos < end) {
    const number = field(KEY_VALUE_WIRE_TYPES);
    if (number === 1) {
      keyEnd = lengthEnd();
      keyStart = pos;
      pos = keyEnd;
    } else if (number === 2) {
      // A value given twice is merged by protobuf: left to the shared reader.
      if (valueAt >= 0) throw GIVE_UP;
      valueAt = pos;
      pos = lengthEnd();
    } else skip();
  }
  if (pos !== end) throw GIVE_UP;
  out.byte(0x22);
  if (keyStart >= 0) out.escapedBytes(src, keyStart, keyEnd);
  out.byte(0x22);
  out.byte(0x3a);
  if (valueAt < 0) {
    out.byte(0x22);
    out.byte(0x22);
  } else {
    pos = valueAt;
    const valueEnd = lengthEnd();
    // The common case, a value that is one string field and nothing else: its bytes.
    let stringEnd = -1;
    if (pos < valueEnd && src[pos] === 0x0a) {
      pos++;
      stringEnd = lengthEnd();
    }
    if (stringEnd === valueEnd) {
      out.byte(0x22);
      out.escapedBytes(src, pos, stringEnd);
      out.byte(0x22);
    } else {
      pos = valueAt;
      out.utf8(JSON.stringify(anyValueText()));
    }
  }
  pos = end;
}

/** attributeText() of the AnyValue at pos, read from its bytes. */
function anyValueText(): string {
  const end = lengthEnd();
  let text = "";
  let listCase = 0;
  while (pos < end) {
    const number = field(ANY_VALUE_WIRE_TYPES);
    // The last member of the oneof wins; the same list given twice is merged by protobuf: left to the shared reader.
    if (number <= 7) {
      if ((number === 5 || number === 6) && listCase === number) throw GIVE_UP;
      listCase = 0;
    }
    switch (number) {
      case 1:
        text = string();
        break;
      case 2:
        varint64();
        text = low !== 0 || high !== 0 ? "true" : "false";
        break;
      case 3:
        varint64();
        text = int64Text();
        break;
      case 4:
        if (pos + 8 > end) throw GIVE_UP;
        text = String(src.readDoubleLE(pos));
        pos += 8;
        break;
      case 5:
      case 6: {
        listCase = number;
        const listEnd = lengthEnd();
        const parts: string[] = [];
        while (pos < listEnd) {
          if (field(LIST_WIRE_TYPES) !== 1) skip();
          else if (number === 5) parts.push(anyValueText());
          else parts.push(keyValueText());
        }
        if (pos !== listEnd) throw GIVE_UP;
        text = number === 5 ? `[${parts.join(",")}]` : `{${parts.join(",")}}`;
        break;
      }
      case 7:
        text = hex();
        break;
      default:
        skip();
    }
  }
  if (pos !== end) throw GIVE_UP;
  return text;
}

/** A KeyValue inside a kvlist: `key=text`, as attributeText writes it. */
function keyValueText(): string {
  const end = lengthEnd();
  let key = "";
  let text: string | undefined;
  while (pos < end) {
    const number = field(KEY_VALUE_WIRE_TYPES);
    if (number === 1) key = string();
    else if (number === 2) {
      if (text !== undefined) throw GIVE_UP;
      text = anyValueText();
    } else skip();
  }
  if (pos !== end) throw GIVE_UP;
  return `${key}=${text ?? ""}`;
}

/** The signed 64-bit integer in `low` and `high`, in decimal. */
function int64Text(): string {
  if (high === 0) return String(low);
  if (high < 0x200000) return String(high * 4294967296 + low);
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low)).toString();
}

function event(kind: ListingEventKind, members: JsonMembers): ListingEvent {
  return { kind, spanId: "", parentSpanId: "", name: "", serviceName: "", time: 0n, statusCode: 0, attributesStart: members.length, attributesEnd: members.length };
}

function appendMember(e: ListingEvent): void {
  if (out.length > e.attributesStart) out.byte(0x2c);
  attributeMember();
  e.attributesEnd = out.length;
}

function body(type: string): ListingEvent {
  const end = src.length;
  const w = WIRE_TYPES.get(type);
  if (w === undefined) throw GIVE_UP;
  switch (type) {
    case "SpanStarted": {
      const e = event(ListingEventKind.SpanStarted, out);
      while (pos < end) {
        switch (field(w)) {
          case 2:
            e.spanId = hex();
            break;
          case 3:
            e.parentSpanId = hex();
            break;
          case 5:
            e.name = string();
            break;
          case 7:
            e.serviceName = string();
            break;
          case 8:
            e.time = fixed64();
            break;
          case 9:
            appendMember(e);
            break;
          default:
            skip();
        }
      }
      return e;
    }
    case "SpanEnded": {
      const e = event(ListingEventKind.SpanEnded, out);
      let statusSeen = false;
      while (pos < end) {
        switch (field(w)) {
          case 2:
            e.spanId = hex();
            break;
          case 3:
            e.time = fixed64();
            break;
          case 4:
            if (statusSeen) throw GIVE_UP;
            statusSeen = true;
            e.statusCode = statusCode();
            break;
          case 6:
            appendMember(e);
            break;
          default:
            skip();
        }
      }
      return e;
    }
    case "SpanOrphaned":
    case "SpanErrorOccurred":
    case "SpanAttributeUpdated": {
      const orphaned = type === "SpanOrphaned";
      const e = event(orphaned ? ListingEventKind.SpanOrphaned : type === "SpanErrorOccurred" ? ListingEventKind.SpanError : ListingEventKind.SpanAttributes, out);
      while (pos < end) {
        const number = field(w);
        if (number === 2) e.spanId = hex();
        else if (orphaned && number === 3) e.time = fixed64();
        else if (e.kind === ListingEventKind.SpanAttributes && number === 4) appendMember(e);
        else skip();
      }
      return e;
    }
    case "TraceCompleted":
    case "TraceStarted":
    case "SpanEventRecorded":
      // Read through all the same, so a payload the shared reader would refuse is refused here too.
      while (pos < end) {
        field(w);
        skip();
      }
      return event(type === "TraceCompleted" ? ListingEventKind.TraceCompleted : ListingEventKind.Other, out);
    default:
      throw GIVE_UP;
  }
}

/**
 * The event's listing fields read from its payload, its attributes written to
 * `members`; undefined (and nothing written) when the payload needs the shared reader.
 */
export function readListingEvent(type: string, payload: Uint8Array, members: JsonMembers): ListingEvent | undefined {
  src = (Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)) as NodeBuffer;
  pos = 0;
  out = members;
  const written = members.length;
  let e: ListingEvent | undefined;
  try {
    e = body(type);
    if (pos !== src.length) e = undefined;
  } catch (error) {
    if (error !== GIVE_UP && !(error instanceof RangeError)) throw error;
  } finally {
    src = EMPTY_BUFFER;
  }
  if (e === undefined) members.length = written;
  return e;
}

const EMPTY_BUFFER = Buffer.alloc(0) as NodeBuffer;

/** The same fields taken from a decoded event (the shared reader's, or protobuf-es's). */
export function listingEventOf(decoded: TraceEventCase, members: JsonMembers): ListingEvent {
  const written = (attributes: readonly { key: string; value?: Parameters<typeof attributeText>[0] }[]) => {
    members.utf8(attributes.map((kv) => `${JSON.stringify(kv.key)}:${JSON.stringify(attributeText(kv.value))}`).join(","));
    return members.length;
  };
  switch (decoded.case) {
    case "spanStarted": {
      const e = event(ListingEventKind.SpanStarted, members);
      const v = decoded.value;
      e.spanId = bytesToHex(v.spanId);
      e.parentSpanId = bytesToHex(v.parentSpanId);
      e.name = v.name;
      e.serviceName = v.serviceName;
      e.time = v.startTimeUnixNano;
      e.attributesEnd = written(v.attributes);
      return e;
    }
    case "spanEnded": {
      const e = event(ListingEventKind.SpanEnded, members);
      const v = decoded.value;
      e.spanId = bytesToHex(v.spanId);
      e.time = v.endTimeUnixNano;
      e.statusCode = v.status?.code ?? StatusCode.UNSPECIFIED;
      e.attributesEnd = written(v.attributes);
      return e;
    }
    case "spanOrphaned": {
      const e = event(ListingEventKind.SpanOrphaned, members);
      e.spanId = bytesToHex(decoded.value.spanId);
      e.time = decoded.value.closedTimeUnixNano;
      return e;
    }
    case "spanErrorOccurred": {
      const e = event(ListingEventKind.SpanError, members);
      e.spanId = bytesToHex(decoded.value.spanId);
      return e;
    }
    case "spanAttributeUpdated": {
      const e = event(ListingEventKind.SpanAttributes, members);
      e.spanId = bytesToHex(decoded.value.spanId);
      e.attributesEnd = written(decoded.value.attributes);
      return e;
    }
    case "traceCompleted":
      return event(ListingEventKind.TraceCompleted, members);
    case "traceStarted":
    case "spanEventRecorded":
      return event(ListingEventKind.Other, members);
  }
}
