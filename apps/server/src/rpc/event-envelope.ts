import { create } from "@bufbuild/protobuf";
import { EventEnvelopeSchema, TraceEventSchema, type EventEnvelope } from "@traceledger/proto";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import type { StoredEvent } from "../event-store/event-store.js";
import { decodeTraceEvent, isTraceEventType } from "../events/trace-event-codec.js";

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
