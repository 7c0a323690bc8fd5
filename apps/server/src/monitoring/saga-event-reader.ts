// Stored trace events read for the saga only: the few fields it looks at
// (saga-trace-event.ts), every other field stepped over by its wire type. The
// shared reader (events/trace-event-reader.ts) builds whole messages, so the
// saga paid for a dozen fields, scope names and ids it never reads, on every
// event of the log, on every replica.
//
// Anything it does not expect (a declared field with another wire type, a
// status twice, a truncated payload) makes it answer undefined, and the caller
// reads the payload the shared way, which accepts or refuses it as before.

import type {
  SagaSpanEnded,
  SagaSpanErrorOccurred,
  SagaSpanOrphaned,
  SagaSpanStarted,
  SagaTraceCompleted,
  SagaTraceEvent,
  SagaTraceStarted,
} from "../domain/monitoring/saga-trace-event.js";
import { STATUS_WIRE_TYPES, TRACE_EVENT_WIRE_TYPES } from "../events/trace-event-wire-types.js";

class GiveUp extends Error {}
const GIVE_UP = new GiveUp("not a payload the saga's reader knows");
// The payload is read in place: `src` views its whole ArrayBuffer, from `pos`
// up to `limit`. readAll's payloads are views into one buffer per page, so
// the Buffer over it is made once per page, not once per event.
let src: Buffer = Buffer.alloc(0);
let srcArrayBuffer: ArrayBufferLike = src.buffer;
let pos = 0;
let limit = 0;
/** The wire type of the field field() last read. */
let wireType = 0;

/** A varint's low 32 bits (tags, lengths, int32 and enum fields: protobuf-es keeps the same bits). */
function varint(): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= limit) throw GIVE_UP;
    const byte = src[pos++]!;
    if (shift < 28) result |= (byte & 0x7f) << shift;
    else if (shift === 28) result |= (byte & 0x0f) << 28;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift > 63) throw GIVE_UP;
  }
}

function int32(): number {
  return varint() | 0;
}

function varint64(): bigint {
  let low = 0;
  let high = 0;
  let shift = 0;
  for (;;) {
    if (pos >= limit) throw GIVE_UP;
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
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

// Times of one log share their high 32 bits for 4.3 s: that half is made a
// bigint once, so a time costs one BigInt and one addition, not readBigUInt64LE's four.
let highWord = -1;
let highBig = 0n;

function fixed64(): bigint {
  if (pos + 8 > limit) throw GIVE_UP;
  const low = src.readUInt32LE(pos);
  const high = src.readUInt32LE(pos + 4);
  pos += 8;
  if (high !== highWord) {
    highBig = BigInt(high) << 32n;
    highWord = high;
  }
  return highBig + BigInt(low);
}

function lengthEnd(): number {
  const length = varint() >>> 0;
  const end = pos + length;
  if (end > limit) throw GIVE_UP;
  return end;
}

/** Buffer's own decoders without toString's argument handling. */
type Slicing = Buffer & { utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };

const HEX_DIGITS = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const HIGH_DIGIT = Uint8Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]!);
const LOW_DIGIT = Uint8Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b & 15]!);

/** A span id as the saga keys it: lowercase hex, "" for none. */
function hex(): string {
  const end = lengthEnd();
  const at = pos;
  pos = end;
  if (end - at === 8) return spanIdHex8(at);
  return end === at ? "" : (src as Slicing).hexSlice(at, end);
}

// One flat string from sixteen character codes: half the cost of hexSlice for a
// span id (a native call), and no rope for the map lookup to flatten.
function spanIdHex8(at: number): string {
  const b0 = src[at]!, b1 = src[at + 1]!, b2 = src[at + 2]!, b3 = src[at + 3]!;
  const b4 = src[at + 4]!, b5 = src[at + 5]!, b6 = src[at + 6]!, b7 = src[at + 7]!;
  return String.fromCharCode(
    HIGH_DIGIT[b0]!, LOW_DIGIT[b0]!, HIGH_DIGIT[b1]!, LOW_DIGIT[b1]!, HIGH_DIGIT[b2]!, LOW_DIGIT[b2]!, HIGH_DIGIT[b3]!, LOW_DIGIT[b3]!,
    HIGH_DIGIT[b4]!, LOW_DIGIT[b4]!, HIGH_DIGIT[b5]!, LOW_DIGIT[b5]!, HIGH_DIGIT[b6]!, LOW_DIGIT[b6]!, HIGH_DIGIT[b7]!, LOW_DIGIT[b7]!,
  );
}

function string(): string {
  const end = lengthEnd();
  const value = end === pos ? "" : (src as Slicing).utf8Slice(pos, end);
  pos = end;
  return value;
}

/** Steps over a field the saga does not read. */
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
  if (pos > limit) throw GIVE_UP;
}

/** The next field's number, its wire type (in `wireType`) checked against the message's. */
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
    if (field(STATUS_WIRE_TYPES) === 3) code = int32();
    else skip();
  }
  if (pos !== end) throw GIVE_UP;
  return code;
}

// One event object per type, refilled by every read: the saga keeps nothing of
// an event but its strings and numbers, so the answer need only last until the
// next read (see readSagaEvent), and the log's events cost no objects of their own.
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const traceStarted: Mutable<SagaTraceStarted> = { startTimeUnixNano: 0n, serviceName: "" };
const spanStarted: Mutable<SagaSpanStarted> = { spanId: "", parentSpanId: "", name: "", kind: 0, serviceName: "", startTimeUnixNano: 0n };
const status = { code: 0 };
const spanEnded: Mutable<SagaSpanEnded> = { spanId: "", endTimeUnixNano: 0n, status: undefined, endReason: 0, name: "" };
const spanOrphaned: Mutable<SagaSpanOrphaned> = { spanId: "", closedTimeUnixNano: 0n, openDurationNano: 0n };
const spanErrorOccurred: Mutable<SagaSpanErrorOccurred> = { spanId: "", errorId: "", timeUnixNano: 0n, errorType: "", message: "" };
const traceCompleted: Mutable<SagaTraceCompleted> = { startTimeUnixNano: 0n, endTimeUnixNano: 0n, durationNano: 0n };
const TRACE_STARTED: SagaTraceEvent = { case: "traceStarted", value: traceStarted };
const SPAN_STARTED: SagaTraceEvent = { case: "spanStarted", value: spanStarted };
const SPAN_ENDED: SagaTraceEvent = { case: "spanEnded", value: spanEnded };
const SPAN_ORPHANED: SagaTraceEvent = { case: "spanOrphaned", value: spanOrphaned };
const SPAN_ERROR_OCCURRED: SagaTraceEvent = { case: "spanErrorOccurred", value: spanErrorOccurred };
const SPAN_EVENT_RECORDED: SagaTraceEvent = Object.freeze({ case: "spanEventRecorded", value: Object.freeze({}) });
const SPAN_ATTRIBUTE_UPDATED: SagaTraceEvent = Object.freeze({ case: "spanAttributeUpdated", value: Object.freeze({}) });
const TRACE_COMPLETED: SagaTraceEvent = { case: "traceCompleted", value: traceCompleted };

function body(type: string): SagaTraceEvent | undefined {
  const end = limit;
  const w = TRACE_EVENT_WIRE_TYPES.get(type);
  if (w === undefined) return undefined;
  switch (type) {
    case "TraceStarted": {
      let startTimeUnixNano = 0n;
      let serviceName = "";
      while (pos < end) {
        const number = field(w);
        if (number === 2) startTimeUnixNano = fixed64();
        else if (number === 4) serviceName = string();
        else skip();
      }
      traceStarted.startTimeUnixNano = startTimeUnixNano;
      traceStarted.serviceName = serviceName;
      return TRACE_STARTED;
    }
    case "SpanStarted": {
      let spanId = "";
      let parentSpanId = "";
      let spanName = "";
      let kind = 0;
      let serviceName = "";
      let startTimeUnixNano = 0n;
      while (pos < end) {
        switch (field(w)) {
          case 2:
            spanId = hex();
            break;
          case 3:
            parentSpanId = hex();
            break;
          case 5:
            spanName = string();
            break;
          case 6:
            kind = int32();
            break;
          case 7:
            serviceName = string();
            break;
          case 8:
            startTimeUnixNano = fixed64();
            break;
          default:
            skip();
        }
      }
      spanStarted.spanId = spanId;
      spanStarted.parentSpanId = parentSpanId;
      spanStarted.name = spanName;
      spanStarted.kind = kind;
      spanStarted.serviceName = serviceName;
      spanStarted.startTimeUnixNano = startTimeUnixNano;
      return SPAN_STARTED;
    }
    case "SpanEnded": {
      let spanId = "";
      let endTimeUnixNano = 0n;
      let code: number | undefined;
      let endReason = 0;
      let name = "";
      while (pos < end) {
        switch (field(w)) {
          case 2:
            spanId = hex();
            break;
          case 3:
            endTimeUnixNano = fixed64();
            break;
          case 4:
            // A status given twice is merged by protobuf-es: left to it.
            if (code !== undefined) throw GIVE_UP;
            else code = statusCode();
            break;
          case 5:
            endReason = int32();
            break;
          case 9:
            name = string();
            break;
          default:
            skip();
        }
      }
      spanEnded.spanId = spanId;
      spanEnded.name = name;
      spanEnded.endTimeUnixNano = endTimeUnixNano;
      if (code === undefined) spanEnded.status = undefined;
      else {
        status.code = code;
        spanEnded.status = status;
      }
      spanEnded.endReason = endReason;
      return SPAN_ENDED;
    }
    case "SpanOrphaned": {
      let spanId = "";
      let closedTimeUnixNano = 0n;
      let openDurationNano = 0n;
      while (pos < end) {
        switch (field(w)) {
          case 2:
            spanId = hex();
            break;
          case 3:
            closedTimeUnixNano = fixed64();
            break;
          case 5:
            openDurationNano = varint64();
            break;
          default:
            skip();
        }
      }
      spanOrphaned.spanId = spanId;
      spanOrphaned.closedTimeUnixNano = closedTimeUnixNano;
      spanOrphaned.openDurationNano = openDurationNano;
      return SPAN_ORPHANED;
    }
    case "SpanErrorOccurred": {
      let spanId = "";
      let errorId = "";
      let timeUnixNano = 0n;
      let errorType = "";
      let message = "";
      while (pos < end) {
        switch (field(w)) {
          case 2:
            spanId = hex();
            break;
          case 3:
            errorId = string();
            break;
          case 4:
            timeUnixNano = fixed64();
            break;
          case 5:
            errorType = string();
            break;
          case 6:
            message = string();
            break;
          default:
            skip();
        }
      }
      spanErrorOccurred.spanId = spanId;
      spanErrorOccurred.errorId = errorId;
      spanErrorOccurred.timeUnixNano = timeUnixNano;
      spanErrorOccurred.errorType = errorType;
      spanErrorOccurred.message = message;
      return SPAN_ERROR_OCCURRED;
    }
    case "SpanEventRecorded":
      while (pos < end) {
        field(w);
        skip();
      }
      return SPAN_EVENT_RECORDED;
    case "SpanAttributeUpdated":
      while (pos < end) {
        field(w);
        skip();
      }
      return SPAN_ATTRIBUTE_UPDATED;
    case "TraceCompleted": {
      let startTimeUnixNano = 0n;
      let endTimeUnixNano = 0n;
      let durationNano = 0n;
      while (pos < end) {
        switch (field(w)) {
          case 2:
            startTimeUnixNano = fixed64();
            break;
          case 3:
            endTimeUnixNano = fixed64();
            break;
          case 4:
            durationNano = varint64();
            break;
          default:
            skip();
        }
      }
      traceCompleted.startTimeUnixNano = startTimeUnixNano;
      traceCompleted.endTimeUnixNano = endTimeUnixNano;
      traceCompleted.durationNano = durationNano;
      return TRACE_COMPLETED;
    }
    default:
      return undefined;
  }
}

/**
 * The fields of a stored trace event the saga reads, or undefined when the
 * payload must be read the shared way. The answer is reused: it holds until
 * the next call (copy what must outlive it). The reader keeps a view of the
 * last payload's buffer (a readAll page) until it reads from another one.
 */
export function readSagaEvent(type: string, payload: Uint8Array): SagaTraceEvent | undefined {
  if (payload.buffer !== srcArrayBuffer) {
    src = Buffer.from(payload.buffer);
    srcArrayBuffer = payload.buffer;
  }
  pos = payload.byteOffset;
  limit = pos + payload.byteLength;
  try {
    const event = body(type);
    return pos === limit ? event : undefined;
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}
