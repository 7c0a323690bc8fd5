import { create } from "@bufbuild/protobuf";
import { EventEnvelopeSchema, TraceEventSchema, type EventEnvelope } from "@traceledger/proto";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import type { StoredEvent } from "../event-store/event-store.js";
import { decodeTraceEvent, isTraceEventType } from "../events/trace-event-codec.js";

/**
 * At most what an EventEnvelope adds to its event's stored bytes, encoded as an element of a
 * repeated field: its id, trace id, version, position, two times, type name, the event's and
 * the element's tags and lengths (about 150 bytes at their largest). Pages are budgeted with it:
 * 5,000 small events are twice their payloads.
 */
export const ENVELOPE_BYTES = 160;

/** A stored event as the wire's EventEnvelope. */
export function toEnvelope(stored: StoredEvent): EventEnvelope {
  return create(EventEnvelopeSchema, {
    eventId: stored.eventId,
    traceId: hexToBytes(stored.streamId),
    streamVersion: BigInt(stored.version),
    globalPosition: stored.position,
    occurredTimeUnixNano: stored.occurredAt,
    recordedTimeUnixNano: stored.recordedAt,
    type: `traceledger.v1.${stored.type}`,
    // A type this server does not know (a newer replica's) is named by `type`, its event left unset.
    ...(isTraceEventType(stored.type) ? { event: create(TraceEventSchema, { event: decodeTraceEvent(stored.type, stored.payload) }) } : {}),
  });
}
