// Stored trace events as the saga reads them. Decoding every event of the log
// with protobuf-es cost the runner about 5x its own decide + evolve (measured:
// ~8.5 us vs ~1.5 us per event of the ingest benchmark's traces), mostly in the
// attributes the saga never looks at. So the shared hand-written reader is asked
// to step over attribute lists, links and resource attributes; everything else
// is read as protobuf-es reads it. The spec holds the saga's decisions to those
// made from fully decoded events.

import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { decodeTraceEvent } from "../events/trace-event-codec.js";

/** The event as far as the saga reads it: attributes, links and resource attributes left empty. */
export function decodeForSaga(type: string, payload: Uint8Array): TraceEventCase {
  return decodeTraceEvent(type, payload, true);
}
