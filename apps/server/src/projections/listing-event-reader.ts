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

import { listedText, listedTextEnd } from "../database/listed-text.js";
import { StatusCode } from "@traceledger/proto";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { STATUS_WIRE_TYPES, TRACE_EVENT_WIRE_TYPES } from "../events/trace-event-wire-types.js";
import type { SlicingBuffer } from "../events/wire-primitives.js";
import * as wire from "../events/wire-primitives.js";
import { attributeText } from "./attribute-text.js";
import { JsonMembers } from "./json-members.js";

// Module constants, not imported bindings: see wire-primitives.ts.
const { WIRE_GIVE_UP, field, fixed64, hex, highHalf, lengthEnd, lowHalf, position, readWire, releaseWire, seek, skip, string, varint, varint64Halves, wireLimit } = wire;

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

let src = Buffer.alloc(0) as SlicingBuffer;
/** Where attributeMember() writes: the members given to readListingEvent. */
let out: JsonMembers = new JsonMembers();

// The wire types of KeyValue, AnyValue and their lists (index: field number), as TRACE_EVENT_WIRE_TYPES.
const KEY_VALUE_WIRE_TYPES: readonly number[] = [-1, 2, 2];
const ANY_VALUE_WIRE_TYPES: readonly number[] = [-1, 2, 0, 0, 1, 2, 2, 2];
const LIST_WIRE_TYPES: readonly number[] = [-1, 2];

function statusCode(): number {
  const end = lengthEnd();
  let code = 0;
  while (position() < end) {
    if (field(STATUS_WIRE_TYPES) === 3) code = varint() | 0;
    else skip();
  }
  if (position() !== end) throw WIRE_GIVE_UP;
  return code;
}

/** One KeyValue written to `out` as a JSON member, `"key":"text"`; string keys and values copied as bytes. */
function attributeMember(): void {
  const end = lengthEnd();
  let keyStart = -1;
  let keyEnd = -1;
  let valueAt = -1;
  while (position() < end) {
    const number = field(KEY_VALUE_WIRE_TYPES);
    if (number === 1) {
      keyEnd = lengthEnd();
      keyStart = position();
      seek(keyEnd);
    } else if (number === 2) {
      // A value given twice is merged by protobuf: left to the shared reader.
      if (valueAt >= 0) throw WIRE_GIVE_UP;
      valueAt = position();
      seek(lengthEnd());
    } else skip();
  }
  if (position() !== end) throw WIRE_GIVE_UP;
  out.byte(0x22);
  if (keyStart >= 0) out.escapedBytes(src, keyStart, listedTextEnd(src, keyStart, keyEnd));
  out.byte(0x22);
  out.byte(0x3a);
  if (valueAt < 0) {
    out.byte(0x22);
    out.byte(0x22);
  } else {
    seek(valueAt);
    const valueEnd = lengthEnd();
    // The common case, a value that is one string field and nothing else: its bytes.
    let stringEnd = -1;
    const at = position();
    if (at < valueEnd && src[at] === 0x0a) {
      seek(at + 1);
      stringEnd = lengthEnd();
    }
    if (stringEnd === valueEnd) {
      out.byte(0x22);
      out.escapedBytes(src, position(), listedTextEnd(src, position(), stringEnd));
      out.byte(0x22);
    } else {
      seek(valueAt);
      out.utf8(JSON.stringify(listedText(anyValueText())));
    }
  }
  seek(end);
}

/** attributeText() of the AnyValue at pos, read from its bytes. */
function anyValueText(): string {
  const end = lengthEnd();
  let text = "";
  let listCase = 0;
  while (position() < end) {
    const number = field(ANY_VALUE_WIRE_TYPES);
    // The last member of the oneof wins; the same list given twice is merged by protobuf: left to the shared reader.
    if (number <= 7) {
      if ((number === 5 || number === 6) && listCase === number) throw WIRE_GIVE_UP;
      listCase = 0;
    }
    switch (number) {
      case 1:
        text = string();
        break;
      case 2:
        varint64Halves();
        text = lowHalf() !== 0 || highHalf() !== 0 ? "true" : "false";
        break;
      case 3:
        varint64Halves();
        text = int64Text(lowHalf(), highHalf());
        break;
      case 4: {
        const at = position();
        if (at + 8 > end) throw WIRE_GIVE_UP;
        text = String(src.readDoubleLE(at));
        seek(at + 8);
        break;
      }
      case 5:
      case 6: {
        listCase = number;
        const listEnd = lengthEnd();
        const parts: string[] = [];
        while (position() < listEnd) {
          if (field(LIST_WIRE_TYPES) !== 1) skip();
          else if (number === 5) parts.push(anyValueText());
          else parts.push(keyValueText());
        }
        if (position() !== listEnd) throw WIRE_GIVE_UP;
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
  if (position() !== end) throw WIRE_GIVE_UP;
  return text;
}

/** A KeyValue inside a kvlist: `key=text`, as attributeText writes it. */
function keyValueText(): string {
  const end = lengthEnd();
  let key = "";
  let text: string | undefined;
  while (position() < end) {
    const number = field(KEY_VALUE_WIRE_TYPES);
    if (number === 1) key = string();
    else if (number === 2) {
      if (text !== undefined) throw WIRE_GIVE_UP;
      text = anyValueText();
    } else skip();
  }
  if (position() !== end) throw WIRE_GIVE_UP;
  return `${key}=${text ?? ""}`;
}

/** The signed 64-bit integer of two unsigned 32-bit halves, in decimal. */
function int64Text(low: number, high: number): string {
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
  const end = wireLimit();
  const w = TRACE_EVENT_WIRE_TYPES.get(type);
  if (w === undefined) throw WIRE_GIVE_UP;
  switch (type) {
    case "SpanStarted": {
      const e = event(ListingEventKind.SpanStarted, out);
      while (position() < end) {
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
      while (position() < end) {
        switch (field(w)) {
          case 2:
            e.spanId = hex();
            break;
          case 3:
            e.time = fixed64();
            break;
          case 4:
            if (statusSeen) throw WIRE_GIVE_UP;
            statusSeen = true;
            e.statusCode = statusCode();
            break;
          case 6:
            appendMember(e);
            break;
          case 9:
            e.name = string();
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
      while (position() < end) {
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
      while (position() < end) {
        field(w);
        skip();
      }
      return event(type === "TraceCompleted" ? ListingEventKind.TraceCompleted : ListingEventKind.Other, out);
    default:
      throw WIRE_GIVE_UP;
  }
}

/**
 * The event's listing fields read from its payload, its attributes written to
 * `members`; undefined (and nothing written) when the payload needs the shared reader.
 */
export function readListingEvent(type: string, payload: Uint8Array, members: JsonMembers): ListingEvent | undefined {
  src = (Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)) as SlicingBuffer;
  readWire(src, 0, src.length);
  out = members;
  const written = members.length;
  let e: ListingEvent | undefined;
  try {
    e = body(type);
    if (position() !== wireLimit()) e = undefined;
  } catch (error) {
    if (error !== WIRE_GIVE_UP && !(error instanceof RangeError)) throw error;
  } finally {
    src = EMPTY_BUFFER;
    releaseWire();
  }
  if (e === undefined) members.length = written;
  return e;
}

const EMPTY_BUFFER = Buffer.alloc(0) as SlicingBuffer;

/** The same fields taken from a decoded event (the shared reader's, or protobuf-es's). */
export function listingEventOf(decoded: TraceEventCase, members: JsonMembers): ListingEvent {
  const written = (attributes: readonly { key: string; value?: Parameters<typeof attributeText>[0] }[]) => {
    members.utf8(attributes.map((kv) => `${JSON.stringify(listedText(kv.key))}:${JSON.stringify(listedText(attributeText(kv.value)))}`).join(","));
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
      e.name = v.name;
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
