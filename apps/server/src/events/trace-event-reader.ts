// Stored trace events back into messages, read by hand: the same messages as
// protobuf-es fromBinary (fields in declaration order, defaults for what is
// absent, unset message fields left out, bytes as views of the payload), at a
// fraction of its time and garbage. Every subscriber that folds the log (the
// ListTraces projector, GetTrace, export) decodes every event; on the ingest
// path that was a tenth of the server's time.
//
// Anything it does not expect (an unknown field, a wire type other than the
// field's, a singular message field twice) makes it give up, and protobuf-es
// reads the payload instead, keeping unknown fields as protobuf-es does. A unit
// test compares it with fromBinary for every event type and attribute value.
//
// A reader that never looks at attributes (the monitoring saga) asks for them
// to be skipped: attribute lists, links and resource attributes are stepped over
// unread and left empty, which is most of a span's bytes and nearly all of the
// garbage.

import type { AnyValue, KeyValue, SpanLink, Status } from "@traceledger/proto";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import * as wire from "./wire-primitives.js";

// Module constants, not imported bindings: see wire-primitives.ts.
const { WIRE_GIVE_UP, double, fixed32, fixed64, lengthEnd, position, readWire, releaseWire, seek, string, varint, varint64, wireLimit } = wire;

let src: Buffer = Buffer.alloc(0);
let skipAttributes = false;
const EMPTY: Uint8Array = new Uint8Array(0);

function uint32(): number {
  return varint() >>> 0;
}

function int32(): number {
  return varint() | 0;
}

/** Steps over a length-delimited field unread. */
function skipDelimited(): void {
  seek(lengthEnd());
}

/** A view of the payload, as protobuf-es gives. */
function bytes(): Uint8Array {
  const end = lengthEnd();
  const at = position();
  seek(end);
  return end === at ? EMPTY : new Uint8Array(src.buffer, src.byteOffset + at, end - at);
}

function keyValue(): KeyValue {
  const end = lengthEnd();
  let key = "";
  let value: AnyValue | undefined;
  while (position() < end) {
    const tag = varint();
    if (tag === 0x0a) key = string();
    else if (tag === 0x12 && value === undefined) value = anyValue();
    else throw WIRE_GIVE_UP;
  }
  if (position() !== end) throw WIRE_GIVE_UP;
  return value === undefined ? { $typeName: "traceledger.v1.KeyValue", key } : { $typeName: "traceledger.v1.KeyValue", key, value };
}

/** One attribute of a list, or none read when the reader skips attributes. */
function attributeInto(list: KeyValue[]): void {
  if (skipAttributes) skipDelimited();
  else list.push(keyValue());
}

function anyValue(): AnyValue {
  const end = lengthEnd();
  let value: AnyValue["value"] = { case: undefined };
  while (position() < end) {
    switch (varint()) {
      case 0x0a:
        value = { case: "stringValue", value: string() };
        break;
      case 0x10:
        value = { case: "boolValue", value: varint64() !== 0n };
        break;
      case 0x18:
        value = { case: "intValue", value: BigInt.asIntN(64, varint64()) };
        break;
      case 0x21:
        value = { case: "doubleValue", value: double() };
        break;
      case 0x2a: {
        if (value.case === "arrayValue") throw WIRE_GIVE_UP;
        const listEnd = lengthEnd();
        const values: AnyValue[] = [];
        while (position() < listEnd) {
          if (varint() !== 0x0a) throw WIRE_GIVE_UP;
          values.push(anyValue());
        }
        if (position() !== listEnd) throw WIRE_GIVE_UP;
        value = { case: "arrayValue", value: { $typeName: "traceledger.v1.ArrayValue", values } };
        break;
      }
      case 0x32: {
        if (value.case === "kvlistValue") throw WIRE_GIVE_UP;
        const listEnd = lengthEnd();
        const values: KeyValue[] = [];
        while (position() < listEnd) {
          if (varint() !== 0x0a) throw WIRE_GIVE_UP;
          values.push(keyValue());
        }
        if (position() !== listEnd) throw WIRE_GIVE_UP;
        value = { case: "kvlistValue", value: { $typeName: "traceledger.v1.KeyValueList", values } };
        break;
      }
      case 0x3a:
        value = { case: "bytesValue", value: bytes() };
        break;
      default:
        throw WIRE_GIVE_UP;
    }
  }
  if (position() !== end) throw WIRE_GIVE_UP;
  return { $typeName: "traceledger.v1.AnyValue", value };
}

function spanLink(): SpanLink {
  const end = lengthEnd();
  const link: SpanLink = { $typeName: "traceledger.v1.SpanLink", traceId: EMPTY, spanId: EMPTY, tracestate: "", attributes: [], droppedAttributesCount: 0, flags: 0 };
  while (position() < end) {
    switch (varint()) {
      case 0x0a:
        link.traceId = bytes();
        break;
      case 0x12:
        link.spanId = bytes();
        break;
      case 0x1a:
        link.tracestate = string();
        break;
      case 0x22:
        link.attributes.push(keyValue());
        break;
      case 0x28:
        link.droppedAttributesCount = uint32();
        break;
      case 0x35:
        link.flags = fixed32();
        break;
      default:
        throw WIRE_GIVE_UP;
    }
  }
  if (position() !== end) throw WIRE_GIVE_UP;
  return link;
}

function status(): Status {
  const end = lengthEnd();
  const s: Status = { $typeName: "traceledger.v1.Status", message: "", code: 0 };
  while (position() < end) {
    const tag = varint();
    if (tag === 0x12) s.message = string();
    else if (tag === 0x18) s.code = int32();
    else throw WIRE_GIVE_UP;
  }
  if (position() !== end) throw WIRE_GIVE_UP;
  return s;
}

function body(type: string): TraceEventCase {
  const end = wireLimit();
  switch (type) {
    case "TraceStarted": {
      const e = { $typeName: "traceledger.v1.TraceStarted" as const, traceId: EMPTY, startTimeUnixNano: 0n, origin: 0, serviceName: "" };
      while (position() < end) {
        const tag = varint();
        if (tag === 0x0a) e.traceId = bytes();
        else if (tag === 0x11) e.startTimeUnixNano = fixed64();
        else if (tag === 0x18) e.origin = int32();
        else if (tag === 0x22) e.serviceName = string();
        else throw WIRE_GIVE_UP;
      }
      return { case: "traceStarted", value: e };
    }
    case "SpanStarted": {
      const e = {
        $typeName: "traceledger.v1.SpanStarted" as const,
        traceId: EMPTY,
        spanId: EMPTY,
        parentSpanId: EMPTY,
        parentIsRemote: false,
        name: "",
        kind: 0,
        serviceName: "",
        startTimeUnixNano: 0n,
        attributes: [] as KeyValue[],
        tracestate: "",
        links: [] as SpanLink[],
        resourceAttributes: [] as KeyValue[],
        flags: 0,
        droppedAttributesCount: 0,
        truncatedValuesCount: 0,
        scopeName: "",
        droppedEventsCount: 0,
        droppedLinksCount: 0,
        scopeVersion: "",
        scopeAttributes: [] as KeyValue[],
        scopeDroppedAttributesCount: 0,
        scopeSchemaUrl: "",
        resourceSchemaUrl: "",
        resourceDroppedAttributesCount: 0,
      };
      while (position() < end) {
        switch (varint()) {
          case 0x0a:
            e.traceId = bytes();
            break;
          case 0x12:
            e.spanId = bytes();
            break;
          case 0x1a:
            e.parentSpanId = bytes();
            break;
          case 0x20:
            e.parentIsRemote = varint64() !== 0n;
            break;
          case 0x2a:
            e.name = string();
            break;
          case 0x30:
            e.kind = int32();
            break;
          case 0x3a:
            e.serviceName = string();
            break;
          case 0x41:
            e.startTimeUnixNano = fixed64();
            break;
          case 0x4a:
            attributeInto(e.attributes);
            break;
          case 0x52:
            e.tracestate = string();
            break;
          case 0x5a:
            if (skipAttributes) skipDelimited();
            else e.links.push(spanLink());
            break;
          case 0x62:
            attributeInto(e.resourceAttributes);
            break;
          case 0x6d:
            e.flags = fixed32();
            break;
          case 0x70:
            e.droppedAttributesCount = uint32();
            break;
          case 0x78:
            e.truncatedValuesCount = uint32();
            break;
          case 0x82: // field 16, length-delimited (its tag is two bytes on the wire)
            e.scopeName = string();
            break;
          case 0x88: // field 17, varint
            e.droppedEventsCount = uint32();
            break;
          case 0x90: // field 18, varint
            e.droppedLinksCount = uint32();
            break;
          case 0x9a: // field 19, length-delimited
            e.scopeVersion = string();
            break;
          case 0xa2: // field 20, length-delimited
            attributeInto(e.scopeAttributes);
            break;
          case 0xa8: // field 21, varint
            e.scopeDroppedAttributesCount = uint32();
            break;
          case 0xb2: // field 22, length-delimited
            e.scopeSchemaUrl = string();
            break;
          case 0xba: // field 23, length-delimited
            e.resourceSchemaUrl = string();
            break;
          case 0xc0: // field 24, varint
            e.resourceDroppedAttributesCount = uint32();
            break;
          default:
            throw WIRE_GIVE_UP;
        }
      }
      return { case: "spanStarted", value: e };
    }
    case "SpanEnded": {
      const e: {
        $typeName: "traceledger.v1.SpanEnded";
        traceId: Uint8Array;
        spanId: Uint8Array;
        endTimeUnixNano: bigint;
        status?: Status;
        endReason: number;
        attributes: KeyValue[];
        droppedAttributesCount: number;
        truncatedValuesCount: number;
        name: string;
      } = { $typeName: "traceledger.v1.SpanEnded", traceId: EMPTY, spanId: EMPTY, endTimeUnixNano: 0n, endReason: 0, attributes: [], droppedAttributesCount: 0, truncatedValuesCount: 0, name: "" };
      let statusValue: Status | undefined;
      while (position() < end) {
        switch (varint()) {
          case 0x0a:
            e.traceId = bytes();
            break;
          case 0x12:
            e.spanId = bytes();
            break;
          case 0x19:
            e.endTimeUnixNano = fixed64();
            break;
          case 0x22:
            if (statusValue !== undefined) throw WIRE_GIVE_UP;
            statusValue = status();
            break;
          case 0x28:
            e.endReason = int32();
            break;
          case 0x32:
            attributeInto(e.attributes);
            break;
          case 0x38:
            e.droppedAttributesCount = uint32();
            break;
          case 0x40:
            e.truncatedValuesCount = uint32();
            break;
          case 0x4a:
            e.name = string();
            break;
          default:
            throw WIRE_GIVE_UP;
        }
      }
      // protobuf-es's field order: status after the end time.
      const value =
        statusValue === undefined
          ? e
          : { $typeName: e.$typeName, traceId: e.traceId, spanId: e.spanId, endTimeUnixNano: e.endTimeUnixNano, status: statusValue, endReason: e.endReason, attributes: e.attributes, droppedAttributesCount: e.droppedAttributesCount, truncatedValuesCount: e.truncatedValuesCount, name: e.name };
      return { case: "spanEnded", value } as TraceEventCase;
    }
    case "SpanErrorOccurred": {
      const e = {
        $typeName: "traceledger.v1.SpanErrorOccurred" as const,
        traceId: EMPTY,
        spanId: EMPTY,
        errorId: "",
        timeUnixNano: 0n,
        errorType: "",
        message: "",
        stacktrace: "",
        escaped: false,
        attributes: [] as KeyValue[],
        droppedAttributesCount: 0,
        truncatedValuesCount: 0,
      };
      while (position() < end) {
        switch (varint()) {
          case 0x0a:
            e.traceId = bytes();
            break;
          case 0x12:
            e.spanId = bytes();
            break;
          case 0x1a:
            e.errorId = string();
            break;
          case 0x21:
            e.timeUnixNano = fixed64();
            break;
          case 0x2a:
            e.errorType = string();
            break;
          case 0x32:
            e.message = string();
            break;
          case 0x3a:
            e.stacktrace = string();
            break;
          case 0x40:
            e.escaped = varint64() !== 0n;
            break;
          case 0x4a:
            attributeInto(e.attributes);
            break;
          case 0x50:
            e.droppedAttributesCount = uint32();
            break;
          case 0x58:
            e.truncatedValuesCount = uint32();
            break;
          default:
            throw WIRE_GIVE_UP;
        }
      }
      return { case: "spanErrorOccurred", value: e };
    }
    case "SpanEventRecorded": {
      const e = {
        $typeName: "traceledger.v1.SpanEventRecorded" as const,
        traceId: EMPTY,
        spanId: EMPTY,
        eventId: "",
        timeUnixNano: 0n,
        name: "",
        attributes: [] as KeyValue[],
        droppedAttributesCount: 0,
        truncatedValuesCount: 0,
      };
      while (position() < end) {
        switch (varint()) {
          case 0x0a:
            e.traceId = bytes();
            break;
          case 0x12:
            e.spanId = bytes();
            break;
          case 0x1a:
            e.eventId = string();
            break;
          case 0x21:
            e.timeUnixNano = fixed64();
            break;
          case 0x2a:
            e.name = string();
            break;
          case 0x32:
            attributeInto(e.attributes);
            break;
          case 0x38:
            e.droppedAttributesCount = uint32();
            break;
          case 0x40:
            e.truncatedValuesCount = uint32();
            break;
          default:
            throw WIRE_GIVE_UP;
        }
      }
      return { case: "spanEventRecorded", value: e };
    }
    case "SpanAttributeUpdated": {
      const e = {
        $typeName: "traceledger.v1.SpanAttributeUpdated" as const,
        traceId: EMPTY,
        spanId: EMPTY,
        updateId: "",
        attributes: [] as KeyValue[],
        droppedAttributesCount: 0,
        truncatedValuesCount: 0,
        timeUnixNano: 0n,
      };
      while (position() < end) {
        switch (varint()) {
          case 0x0a:
            e.traceId = bytes();
            break;
          case 0x12:
            e.spanId = bytes();
            break;
          case 0x1a:
            e.updateId = string();
            break;
          case 0x22:
            attributeInto(e.attributes);
            break;
          case 0x28:
            e.droppedAttributesCount = uint32();
            break;
          case 0x30:
            e.truncatedValuesCount = uint32();
            break;
          case 0x39:
            e.timeUnixNano = fixed64();
            break;
          default:
            throw WIRE_GIVE_UP;
        }
      }
      return { case: "spanAttributeUpdated", value: e };
    }
    case "SpanOrphaned": {
      const e = { $typeName: "traceledger.v1.SpanOrphaned" as const, traceId: EMPTY, spanId: EMPTY, closedTimeUnixNano: 0n, reason: 0, openDurationNano: 0n };
      while (position() < end) {
        switch (varint()) {
          case 0x0a:
            e.traceId = bytes();
            break;
          case 0x12:
            e.spanId = bytes();
            break;
          case 0x19:
            e.closedTimeUnixNano = fixed64();
            break;
          case 0x20:
            e.reason = int32();
            break;
          case 0x28:
            e.openDurationNano = varint64();
            break;
          default:
            throw WIRE_GIVE_UP;
        }
      }
      return { case: "spanOrphaned", value: e };
    }
    case "TraceCompleted": {
      const e = {
        $typeName: "traceledger.v1.TraceCompleted" as const,
        traceId: EMPTY,
        startTimeUnixNano: 0n,
        endTimeUnixNano: 0n,
        durationNano: 0n,
        spanCount: 0,
        errorCount: 0,
        orphanedSpanCount: 0,
        reason: 0,
        lateSpanCount: 0,
      };
      while (position() < end) {
        switch (varint()) {
          case 0x0a:
            e.traceId = bytes();
            break;
          case 0x11:
            e.startTimeUnixNano = fixed64();
            break;
          case 0x19:
            e.endTimeUnixNano = fixed64();
            break;
          case 0x20:
            e.durationNano = varint64();
            break;
          case 0x28:
            e.spanCount = uint32();
            break;
          case 0x30:
            e.errorCount = uint32();
            break;
          case 0x38:
            e.orphanedSpanCount = uint32();
            break;
          case 0x40:
            e.reason = int32();
            break;
          case 0x48:
            e.lateSpanCount = uint32();
            break;
          default:
            throw WIRE_GIVE_UP;
        }
      }
      return { case: "traceCompleted", value: e };
    }
    default:
      throw WIRE_GIVE_UP;
  }
}

/**
 * The event, or undefined when protobuf-es must read this payload (unknown fields, an unexpected shape).
 * With `withoutAttributes`, attribute lists, links and resource attributes are left empty, unread.
 */
export function readTraceEvent(type: string, payload: Uint8Array, withoutAttributes = false): TraceEventCase | undefined {
  src = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  readWire(src, 0, src.length);
  skipAttributes = withoutAttributes;
  try {
    const event = body(type);
    return position() === wireLimit() ? event : undefined;
  } catch (error) {
    if (error === WIRE_GIVE_UP || error instanceof RangeError) return undefined;
    throw error;
  } finally {
    src = EMPTY_BUFFER;
    releaseWire();
  }
}

const EMPTY_BUFFER = Buffer.alloc(0);
