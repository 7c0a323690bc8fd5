// Streams of the event log that are not traces. A stream id is a trace id as 32
// lowercase hex characters; the all-zero trace id is invalid in W3C Trace
// Context, so no trace can ever have it, and it is reserved for the
// monitoring stream (the saga's alert events). Every reader of the global log
// (readAll) that decodes trace events skips the streams named here.

/** The DistributedTracingSaga's alert events: AlertRaised and AlertResolved. */
export const MONITORING_STREAM_ID = "00000000000000000000000000000000";

/** False for the reserved streams: their events are not trace events. */
export function isTraceStream(streamId: string): boolean {
  return streamId !== MONITORING_STREAM_ID;
}
