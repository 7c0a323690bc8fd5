// Stored trace events as the saga reads them. Decoding every event of the log
// with protobuf-es cost the runner about 5x its own decide + evolve (measured:
// ~8.5 us vs ~1.5 us per event of the ingest benchmark's traces), mostly in the
// attributes the saga never looks at. SpanStarted and SpanEnded (ten events of
// a typical trace's twelve) and the events the saga only notes the time of are
// therefore read here by hand, keeping the fields the saga reads and leaving the
// rest (attributes, links, resource, scope, counts) empty; every other type goes
// through the full decoder. The spec holds this to protobuf-es field by field.

import type { SpanAttributeUpdated, SpanEnded, SpanEventRecorded, SpanStarted } from "@traceledger/proto";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { decodeTraceEvent } from "../events/trace-event-codec.js";

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();

/** The event as far as the saga reads it. */
export function decodeForSaga(type: string, payload: Uint8Array): TraceEventCase {
  switch (type) {
    case "SpanStarted":
      return { case: "spanStarted", value: spanStarted(payload) };
    case "SpanEnded":
      return { case: "spanEnded", value: spanEnded(payload) };
    case "SpanEventRecorded":
      return { case: "spanEventRecorded", value: spanEventRecorded(payload) };
    case "SpanAttributeUpdated":
      return { case: "spanAttributeUpdated", value: spanAttributeUpdated(payload) };
    default:
      return decodeTraceEvent(type, payload);
  }
}

/** A cursor over protobuf wire format: tags, and each wire type read or skipped. */
class Wire {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint of up to 53 bits (tags, enums, bools, lengths, counts). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError("truncated varint");
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  }

  fixed64(): bigint {
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  bytes(): Uint8Array {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.buf.length) throw new RangeError("truncated field");
    return this.buf.subarray(start, this.pos);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2: {
        // Not `this.pos += this.varint()`: that reads pos before varint() moves it.
        const length = this.varint();
        this.pos += length;
        return;
      }
      case 5:
        this.pos += 4;
        return;
      default:
        throw new RangeError(`unsupported wire type ${wireType}`);
    }
  }
}

function spanStarted(payload: Uint8Array): SpanStarted {
  const value: SpanStarted = {
    $typeName: "traceledger.v1.SpanStarted",
    traceId: EMPTY,
    spanId: EMPTY,
    parentSpanId: EMPTY,
    parentIsRemote: false,
    name: "",
    kind: 0,
    serviceName: "",
    startTimeUnixNano: 0n,
    attributes: [],
    tracestate: "",
    links: [],
    resourceAttributes: [],
    flags: 0,
    droppedAttributesCount: 0,
    truncatedValuesCount: 0,
    scopeName: "",
  };
  const r = new Wire(payload);
  while (!r.done) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | 2:
        value.traceId = r.bytes();
        break;
      case (2 << 3) | 2:
        value.spanId = r.bytes();
        break;
      case (3 << 3) | 2:
        value.parentSpanId = r.bytes();
        break;
      case (4 << 3) | 0:
        value.parentIsRemote = r.varint() !== 0;
        break;
      case (5 << 3) | 2:
        value.name = r.string();
        break;
      case (6 << 3) | 0:
        value.kind = r.varint();
        break;
      case (7 << 3) | 2:
        value.serviceName = r.string();
        break;
      case (8 << 3) | 1:
        value.startTimeUnixNano = r.fixed64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return value;
}

function spanEnded(payload: Uint8Array): SpanEnded {
  const value: SpanEnded = {
    $typeName: "traceledger.v1.SpanEnded",
    traceId: EMPTY,
    spanId: EMPTY,
    endTimeUnixNano: 0n,
    status: undefined,
    endReason: 0,
    attributes: [],
    droppedAttributesCount: 0,
    truncatedValuesCount: 0,
  };
  const r = new Wire(payload);
  while (!r.done) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | 2:
        value.traceId = r.bytes();
        break;
      case (2 << 3) | 2:
        value.spanId = r.bytes();
        break;
      case (3 << 3) | 1:
        value.endTimeUnixNano = r.fixed64();
        break;
      case (4 << 3) | 2:
        value.status = status(r.bytes());
        break;
      case (5 << 3) | 0:
        value.endReason = r.varint();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return value;
}

function status(payload: Uint8Array): SpanEnded["status"] {
  const value: NonNullable<SpanEnded["status"]> = { $typeName: "traceledger.v1.Status", message: "", code: 0 };
  const r = new Wire(payload);
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((2 << 3) | 2)) value.message = r.string();
    else if (tag === ((3 << 3) | 0)) value.code = r.varint();
    else r.skip(tag & 7);
  }
  return value;
}

/** The saga only notes that the trace was active: ids and time, nothing else. */
function spanEventRecorded(payload: Uint8Array): SpanEventRecorded {
  const value: SpanEventRecorded = {
    $typeName: "traceledger.v1.SpanEventRecorded",
    traceId: EMPTY,
    spanId: EMPTY,
    eventId: "",
    timeUnixNano: 0n,
    name: "",
    attributes: [],
    droppedAttributesCount: 0,
    truncatedValuesCount: 0,
  };
  const r = new Wire(payload);
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) value.traceId = r.bytes();
    else if (tag === ((2 << 3) | 2)) value.spanId = r.bytes();
    else if (tag === ((4 << 3) | 1)) value.timeUnixNano = r.fixed64();
    else r.skip(tag & 7);
  }
  return value;
}

function spanAttributeUpdated(payload: Uint8Array): SpanAttributeUpdated {
  const value: SpanAttributeUpdated = {
    $typeName: "traceledger.v1.SpanAttributeUpdated",
    traceId: EMPTY,
    spanId: EMPTY,
    updateId: "",
    attributes: [],
    droppedAttributesCount: 0,
    truncatedValuesCount: 0,
    timeUnixNano: 0n,
  };
  const r = new Wire(payload);
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) value.traceId = r.bytes();
    else if (tag === ((2 << 3) | 2)) value.spanId = r.bytes();
    else if (tag === ((7 << 3) | 1)) value.timeUnixNano = r.fixed64();
    else r.skip(tag & 7);
  }
  return value;
}
