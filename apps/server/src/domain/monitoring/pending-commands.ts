// Commands the saga gave whose effect it has not yet seen in the log.

import type { MonitoringCommand } from "./monitoring-output.js";
import type { MonitoringState } from "./monitoring-state.js";

/**
 * The commands given whose effect has not come back through the log. After a
 * restart the runner sends them again: the aggregate treats a repeated close
 * as a no-op, so at-least-once delivery is enough.
 */
export function pendingCommands(state: MonitoringState): MonitoringCommand[] {
  const commands: MonitoringCommand[] = [];
  for (const trace of state.liveTraces) {
    for (const span of trace.running.values()) {
      if (span.closeRequested) commands.push({ type: "CloseOrphanedSpan", traceId: span.traceId, spanId: span.spanId, reason: "timeout" });
    }
  }
  for (const trace of state.traces.values()) if (trace.closeRequested) commands.push({ type: "CloseTrace", traceId: trace.traceId, expectedVersion: trace.version });
  return commands;
}
