import type { TraceEvent } from "@traceledger/proto";

/** One event of a trace stream: the set case of the TraceEvent oneof. */
export type TraceEventCase = Exclude<TraceEvent["event"], { case: undefined }>;

/** The short event names, as stored in the event store's `type` column. */
export type TraceEventType = TraceEventCase["value"]["$typeName"] extends `traceledger.v1.${infer Name}` ? Name : never;

export function eventType(event: TraceEventCase): TraceEventType {
  return event.value.$typeName.slice("traceledger.v1.".length) as TraceEventType;
}

/**
 * What makes an event unique within its trace, independent of when it was
 * decided. Two replicas deciding the same retried command derive the same
 * identity, so the store's unique event id turns the second append into a no-op.
 */
export function eventIdentity(event: TraceEventCase, spanIdHex: (bytes: Uint8Array) => string): string {
  switch (event.case) {
    case "traceStarted":
      return "trace-started";
    case "spanStarted":
      return `span-started:${spanIdHex(event.value.spanId)}`;
    case "spanEnded":
      return `span-ended:${spanIdHex(event.value.spanId)}`;
    case "spanOrphaned":
      return `span-ended:${spanIdHex(event.value.spanId)}`;
    case "spanErrorOccurred":
      return `error:${spanIdHex(event.value.spanId)}:${event.value.errorId}`;
    case "spanEventRecorded":
      return `event:${spanIdHex(event.value.spanId)}:${event.value.eventId}`;
    case "spanAttributeUpdated":
      return `attributes:${spanIdHex(event.value.spanId)}:${event.value.updateId}`;
    case "traceCompleted":
      // Each restatement after late spans has a higher running total, hence its own identity.
      return event.value.lateSpanCount === 0 ? "trace-completed" : `trace-completed:late:${event.value.lateSpanCount}`;
  }
}
