// A trace's whole view folded in one go, for specs: the server folds through
// TraceViewBuilder itself (GetTrace's reader resumes it from snapshots).

import type { Trace } from "@traceledger/proto";
import type { TraceEventCase } from "../../domain/trace/trace-event.js";
import { TraceViewBuilder } from "../trace-view.js";

export function buildTraceView(traceId: string, events: Iterable<TraceEventCase>, now: bigint): Trace {
  const builder = new TraceViewBuilder(traceId);
  for (const event of events) builder.apply(event);
  return builder.build(now);
}
