// A long GetTraceEvents page (up to 5,000 events), read and encoded in parts so
// that it does not hold the event loop: on a 60,000-span trace a page of 5,000
// held it 150-220 ms (measured), taking in its rows (postgres.js parses a
// statement's rows as they arrive, 40-65 ms for 5,000), building its envelopes
// (each event decoded) and encoding them. The parts give the same answer: the
// same events (the byte budget counts across the reads), and the same bytes
// (the parts of a repeated field encode to their concatenation).

import { create, toBinary } from "@bufbuild/protobuf";
import { GetTraceEventsResponseSchema } from "@traceledger/proto";
import type { EventStore, ReadStreamOptions, StoredEvent } from "../event-store/event-store.js";
import { TimeSlices } from "../trace-reads/time-slices.js";
import { toEnvelope } from "./event-envelope.js";

/** Events per statement of a long page: ~10 ms of parsing its rows. */
const EVENTS_PER_READ = 1000;
/** Envelopes built and encoded between two looks at the time slice: ~10 ms on a slow machine. */
const ENVELOPES_PER_PART = 250;

/** What store.readStream(traceId, options) answers, read EVENTS_PER_READ events at a time. */
export async function readEventsPage(store: Pick<EventStore, "readStream">, traceId: string, options: ReadStreamOptions & { readonly limit: number }): Promise<StoredEvent[]> {
  if (options.limit <= EVENTS_PER_READ) return store.readStream(traceId, options);
  const events: StoredEvent[] = [];
  let bytes = 0;
  for (;;) {
    const limit = Math.min(EVENTS_PER_READ, options.limit - events.length);
    const after = events.length === 0 ? options.afterVersion : events[events.length - 1]!.version;
    const part = await store.readStream(traceId, { ...options, afterVersion: after, limit, ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes - bytes }) });
    for (const event of part) {
      events.push(event);
      bytes += event.payload.length;
    }
    // The stream ended, or the limit or the byte budget did (the event that reached it is in).
    if (part.length < limit || events.length === options.limit || (options.maxBytes !== undefined && bytes >= options.maxBytes)) return events;
  }
}

/** The encoded GetTraceEventsResponse: these events, then the token (fields 1 and 2, in field order). */
export async function encodeEventsPage(page: readonly StoredEvent[], nextPageToken: string, slices = new TimeSlices()): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < page.length; i += ENVELOPES_PER_PART) {
    if (i > 0 && slices.due) await slices.pause();
    parts.push(toBinary(GetTraceEventsResponseSchema, create(GetTraceEventsResponseSchema, { events: page.slice(i, i + ENVELOPES_PER_PART).map(toEnvelope) })));
  }
  parts.push(toBinary(GetTraceEventsResponseSchema, create(GetTraceEventsResponseSchema, { nextPageToken })));
  let size = 0;
  for (const part of parts) size += part.length;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
