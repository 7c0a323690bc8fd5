// Domain events <-> stored rows. A stored payload is the event message's own
// protobuf bytes (TraceEvent's oneof field without its tag and length) and
// `type` is its short name, so any language can read the log with the generated
// code. Both ways are hand-written for speed (trace-event-writer.ts,
// trace-event-reader.ts), protobuf-es doing what they do not. The wire's
// EventEnvelope is built from the decoded event (rpc/event-envelope.ts), not
// from the payload's bytes.

import { fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { TraceEventSchema } from "@traceledger/proto";
import type { TraceEventCase, TraceEventType } from "../domain/trace/trace-event.js";
import { eventType } from "../domain/trace/trace-event.js";
import { readTraceEvent } from "./trace-event-reader.js";
import { writeTraceEvent } from "./trace-event-writer.js";

interface EventKind {
  readonly case: TraceEventCase["case"];
  readonly schema: DescMessage;
}

const kinds = new Map<string, EventKind>();
for (const field of TraceEventSchema.fields) {
  if (field.fieldKind !== "message" || field.oneof?.name !== "event") continue;
  kinds.set(field.message.name, { case: field.localName as TraceEventCase["case"], schema: field.message });
}

/**
 * Whether this server knows the event type. Readers of the log skip the types
 * they do not know (a newer replica's, during a rolling upgrade) rather than
 * stop for every trace; the aggregate refuses to decide a trace holding one.
 */
export function isTraceEventType(type: string): boolean {
  return kinds.has(type);
}

export function eventKind(type: string): EventKind {
  const kind = kinds.get(type);
  if (!kind) throw new Error(`unknown trace event type "${type}"`);
  return kind;
}

export function encodeTraceEvent(event: TraceEventCase): { type: TraceEventType; payload: Uint8Array } {
  // Hand-written, byte for byte what toBinary writes (see trace-event-writer.ts): ingest encodes every event.
  return { type: eventType(event), payload: writeTraceEvent(event) };
}

/** With `withoutAttributes`, the hand-written reader leaves attribute lists, links and resource attributes empty, unread. */
export function decodeTraceEvent(type: string, payload: Uint8Array, withoutAttributes = false): TraceEventCase {
  // Hand-written, the same messages as fromBinary (see trace-event-reader.ts); protobuf-es for anything else.
  const read = readTraceEvent(type, payload, withoutAttributes);
  if (read !== undefined) return read;
  const kind = eventKind(type);
  return { case: kind.case, value: fromBinary(kind.schema, payload) } as TraceEventCase;
}

/** When the fact happened: the time the event itself carries. */
export function occurredAt(event: TraceEventCase): bigint {
  switch (event.case) {
    case "traceStarted":
      return event.value.startTimeUnixNano;
    case "spanStarted":
      return event.value.startTimeUnixNano;
    case "spanEnded":
      return event.value.endTimeUnixNano;
    case "spanOrphaned":
      return event.value.closedTimeUnixNano;
    case "spanErrorOccurred":
    case "spanEventRecorded":
    case "spanAttributeUpdated":
      return event.value.timeUnixNano;
    case "traceCompleted":
      return event.value.endTimeUnixNano;
  }
}
