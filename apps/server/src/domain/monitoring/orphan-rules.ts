// Orphans. A span open longer than orphanTimeoutNs is closed by the aggregate
// on the saga's command (reason "timeout"). The time counts from when the saga
// learned of the span, not from its start: the start is the client's word, and
// one dated ahead would delay the close by as much, one dated 2100 for ever,
// leaving its trace open and unexported. The aggregate also completes its
// trace if that was the last thing holding it open. A trace without a local
// root is never completed by an end (another system may still report to it), so
// once it has no running span and no event for traceIdleTimeoutNs the saga
// closes it. Each command is given once; its effect comes back as events.
// The saga reads the log behind its writers: a span may have started in an
// "idle" trace that it has not read yet. So CloseTrace names the version the
// saga judged, and the aggregate does nothing if the trace moved past it (or
// has a span running); the saga reads what moved it, and judges again.

import type { MonitoringOutput } from "./monitoring-output.js";
import { TRACE_GRAIN_NS, type ActiveSpan, type MonitoringState } from "./monitoring-state.js";
import { idleEntries } from "./recency.js";

export function orphanOnTick(span: ActiveSpan, now: bigint, state: MonitoringState, out: MonitoringOutput[]): void {
  if (!span.closeRequested && now - span.openSince > state.config.orphanTimeoutNs) {
    out.push({ type: "CloseOrphanedSpan", traceId: span.traceId, spanId: span.spanId, reason: "timeout" });
  }
}

export function idleTracesOnTick(now: bigint, state: MonitoringState, out: MonitoringOutput[]): void {
  for (const [traceId, trace] of idleEntries(state.traces, now, state.config.traceIdleTimeoutNs, TRACE_GRAIN_NS)) {
    // The aggregate completes a trace with a local root itself; running spans are the orphan rule's.
    if (!trace.hasLocalRoot && trace.running.size === 0 && !trace.closeRequested) out.push({ type: "CloseTrace", traceId, expectedVersion: trace.version });
  }
}
