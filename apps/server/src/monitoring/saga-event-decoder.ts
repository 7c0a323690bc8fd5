// Stored trace events as the saga reads them. Decoding every event of the log
// whole cost the runner several times its own decide + evolve, mostly in
// fields the saga never looks at, so saga-event-reader.ts reads only the
// fields of saga-trace-event.ts. A payload it does not expect is read by the
// shared decoder (attributes, links and resource attributes skipped), which
// accepts or refuses it as it always did. The spec holds the saga's decisions
// to those made from fully decoded events.

import type { SagaTraceEvent } from "../domain/monitoring/saga-trace-event.js";
import { decodeTraceEvent } from "../events/trace-event-codec.js";
import { readSagaEvent } from "./saga-event-reader.js";

/** The event as far as the saga reads it. */
export function decodeForSaga(type: string, payload: Uint8Array): SagaTraceEvent {
  return readSagaEvent(type, payload) ?? decodeTraceEvent(type, payload, true);
}
