// readAll's page as one value: PostgreSQL frames each event into bytes and concatenates
// them (string_agg), so postgres.js takes in one row per page (the count and the frames) instead of
// nine columns per event (it spends ~5 us of CPU per result row; see BENCHMARKS.md,
// "Global read").
//
// One frame, integers big-endian (what the *send functions write):
//   int8 writing transaction id, int8 position, int8 occurredAt, int8 recordedAt,
//   int4 version, 16 bytes trace id, the event id as its 36 characters of text,
//   int2 type length, the type's UTF-8 bytes, int4 payload length, the payload.
//
// The server's read window keeps unframed events for about a second, so every
// object an event carries is copied by the young-generation GC and promoted.
// Hence one flat string per id: the event id comes as text (PostgreSQL's
// uuid_out), not as bytes that Node would format from five slices of a hex
// string; and the few event type names are shared, not one string per event.

import type { GlobalCheckpoint, StoredEvent } from "../event-store.js";

/** The frame of one row of `events` named `e`, as a bytea expression. */
export const EVENT_FRAME_SQL =
  "xid8send(e.tx_id) || int8send(e.position) || int8send(e.occurred_at) || int8send(e.recorded_at)" +
  " || int4send(e.version) || e.trace_id || convert_to(e.event_id::text, 'UTF8')" +
  " || int2send(octet_length(e.type)::int2) || convert_to(e.type, 'UTF8') || int4send(octet_length(e.payload)) || e.payload";

/** Bytes before the type: tx id, position, occurredAt, recordedAt, version, trace id, event id. */
const FIXED = 8 + 8 + 8 + 8 + 4 + 16 + 36;
const EVENT_ID_AT = 8 + 8 + 8 + 8 + 4 + 16;

interface UnframedPage {
  readonly events: StoredEvent[];
  /** Each event's writing transaction id: with its position, the checkpoint just after it. */
  readonly transactionIds: BigUint64Array;
  /** The last event's checkpoint; undefined when there are none. */
  readonly last: GlobalCheckpoint | undefined;
}

/**
 * The `count` events framed by EVENT_FRAME_SQL, in order. Payloads are views into `framed`
 * (no copies), so they keep the page's buffer alive as long as they are held.
 */
export function unframeEvents(framed: Buffer, count: number): UnframedPage {
  const types = new TypeNames();
  const events = new Array<StoredEvent>(count);
  const transactionIds = new BigUint64Array(count);
  const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + FIXED + 2 > framed.length) throw new Error(`framed events: event ${i} of ${count} is cut short`);
    transactionIds[i] = view.getBigUint64(at);
    const position = view.getBigInt64(at + 8);
    const occurredAt = view.getBigInt64(at + 16);
    const recordedAt = view.getBigInt64(at + 24);
    const version = view.getInt32(at + 32);
    const streamId = framed.toString("hex", at + 36, at + EVENT_ID_AT);
    const eventId = framed.toString("latin1", at + EVENT_ID_AT, at + FIXED);
    const typeLength = view.getUint16(at + FIXED);
    at += FIXED + 2;
    if (at + typeLength + 4 > framed.length) throw new Error(`framed events: event ${i} of ${count} is cut short`);
    const type = types.at(framed, at, typeLength);
    at += typeLength;
    const payloadLength = view.getInt32(at);
    at += 4;
    if (payloadLength < 0 || at + payloadLength > framed.length) throw new Error(`framed events: event ${i} of ${count} is cut short`);
    const payload = new Uint8Array(framed.buffer, framed.byteOffset + at, payloadLength);
    at += payloadLength;
    events[i] = { streamId, version, eventId, type, payload, occurredAt, recordedAt, position };
  }
  if (at !== framed.length) throw new Error(`framed events: ${framed.length - at} bytes left over after ${count} events`);
  return { events, transactionIds, last: count === 0 ? undefined : { transactionId: transactionIds[count - 1]!, position: events[count - 1]!.position } };
}

/**
 * The event type names of one page, each read once: a page names a handful of
 * types thousands of times. The last one matched is tried first (a stream's
 * events come together). Only ASCII names are kept: their bytes are their
 * character codes, so they compare without decoding.
 */
class TypeNames {
  private readonly known: string[] = [];

  at(framed: Buffer, at: number, length: number): string {
    const known = this.known;
    for (let k = 0; k < known.length; k++) {
      const name = known[k]!;
      if (name.length !== length || !sameAscii(framed, at, name)) continue;
      if (k > 0) {
        known[k] = known[0]!;
        known[0] = name;
      }
      return name;
    }
    const name = framed.toString("utf8", at, at + length);
    // Past a few dozen names this is not what a page looks like: stop remembering.
    if (name.length === length && known.length < 16) known.unshift(name);
    return name;
  }
}

function sameAscii(framed: Buffer, at: number, name: string): boolean {
  for (let j = 0; j < name.length; j++) if (framed[at + j] !== name.charCodeAt(j)) return false;
  return true;
}
