// One span of a trace view, kept encoded: where its Span message lies in a
// larger buffer (a snapshot, or a batch of freshly encoded spans), plus the few
// fields the trace-level figures need (start, end, running, failed). A view is
// mostly spans that no later event touches; they go from a snapshot to the
// response without ever being decoded. Offsets, not views: a thousand
// subarrays per read were a visible share of the garbage collector's time.

import { SpanSchema, SpanState, StatusCode, StatusSchema } from "@traceledger/proto";
import { hexOf, WIRE_FIXED64, WIRE_LENGTH_DELIMITED, WIRE_VARINT, WireReader } from "./wire.js";

export interface SpanEntry {
  readonly spanId: string;
  readonly start: bigint;
  /** Zero while running. */
  readonly end: bigint;
  readonly running: boolean;
  /** Status ERROR or at least one recorded error: counted in the trace's error_count. */
  readonly failed: boolean;
  /** The encoded Span is source[offset, offset + length); while it runs, without duration_nano (it depends on the moment viewed). */
  readonly source: Buffer;
  readonly offset: number;
  readonly length: number;
  /** Where duration_nano goes while running (from `offset`), so that output keeps field order. */
  readonly durationAt: number;
  /** When the span was first started in the stream: orders spans that start at the same time. */
  readonly seq: number;
}

const F = SpanSchema.field;
const SPAN_ID = F.spanId.number;
const NAME = F.name.number;
const SERVICE_NAME = F.serviceName.number;
const STATE = F.state.number;
const START = F.startTimeUnixNano.number;
const END = F.endTimeUnixNano.number;
const DURATION = F.durationNano.number;
const STATUS = F.status.number;
const ERRORS = F.errors.number;
const STATUS_CODE = StatusSchema.field.code.number;

/**
 * Reads the Span that lies between the reader's position and `end` (a field of
 * a snapshot, say), leaving the reader at `end`. One reader serves every span
 * of a snapshot: nothing is allocated per field.
 */
export function scanSpanEntry(reader: WireReader, end: number, seq: number): SpanEntry {
  const bytes = reader.bytes;
  const source = bytes;
  const begin = reader.pos;
  const outerEnd = reader.end;
  reader.end = end;
  let spanId = "";
  let state = 0;
  let start = 0n;
  let finish = 0n;
  let failed = false;
  let durationAt = -1;
  let durationFrom = -1;
  let durationTo = -1;
  while (reader.pos < end) {
    const fieldStart = reader.pos;
    const tag = reader.varint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field > DURATION && durationAt < 0) durationAt = fieldStart - begin;
    if (field === SPAN_ID && wireType === WIRE_LENGTH_DELIMITED) {
      const idEnd = reader.delimitedEnd();
      spanId = hexOf(bytes, reader.pos, idEnd);
      reader.pos = idEnd;
    } else if (field === STATE && wireType === WIRE_VARINT) state = reader.varint();
    else if (field === START && wireType === WIRE_FIXED64) start = reader.fixed64();
    else if (field === END && wireType === WIRE_FIXED64) finish = reader.fixed64();
    else if (field === STATUS && wireType === WIRE_LENGTH_DELIMITED) failed = statusCode(reader) === StatusCode.ERROR || failed;
    else if (field === ERRORS && wireType === WIRE_LENGTH_DELIMITED) {
      failed = true;
      reader.skip(wireType);
    } else {
      reader.skip(wireType);
      if (field === DURATION) {
        durationFrom = fieldStart - begin;
        durationTo = reader.pos - begin;
      }
    }
  }
  reader.end = outerEnd;
  const running = state === SpanState.RUNNING;
  const length = end - begin;
  if (durationAt < 0) durationAt = length;
  if (running && durationFrom >= 0) {
    // A running span's duration is the viewer's: keep the bytes without it.
    const cut = durationTo - durationFrom;
    const stripped = Buffer.allocUnsafe(length - cut);
    source.copy(stripped, 0, begin, begin + durationFrom);
    source.copy(stripped, durationFrom, begin + durationTo, end);
    return { spanId, start, end: finish, running, failed, source: stripped, offset: 0, length: length - cut, durationAt: durationAt - cut, seq };
  }
  return { spanId, start, end: finish, running, failed, source, offset: begin, length, durationAt: running ? durationAt : length, seq };
}

/** The span's name and service (for the trace's root fields), read from its bytes. */
export function spanNames(entry: SpanEntry): { name: string; serviceName: string } {
  const reader = new WireReader(entry.source, entry.offset, entry.offset + entry.length);
  const decoder = new TextDecoder();
  let name = "";
  let serviceName = "";
  while (!reader.done) {
    const tag = reader.varint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === NAME && wireType === WIRE_LENGTH_DELIMITED) name = decoder.decode(reader.delimited());
    else if (field === SERVICE_NAME && wireType === WIRE_LENGTH_DELIMITED) serviceName = decoder.decode(reader.delimited());
    else reader.skip(wireType);
  }
  return { name, serviceName };
}

/** The code of the Status whose length prefix is next; leaves the reader after it. */
function statusCode(reader: WireReader): number {
  const end = reader.delimitedEnd();
  let code = 0;
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag >>> 3 === STATUS_CODE && (tag & 7) === WIRE_VARINT) code = reader.varint();
    else reader.skip(tag & 7);
  }
  return code;
}
