// Statistics let go past config.maxOperations (monitoring-state.ts, makeRoom) may have an
// alert open that a tick would resolve by now but that none has yet (a replay's ticks follow
// the log): the span that makes them go resolves it first, with the content the tick would
// have given, as the span of an operation idle past the retention does (anomaly-rules.ts).

import { idleOperationOnSpan } from "./anomaly-rules.js";
import { errorRateOnTick } from "./error-rate-rules.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import { isIdle, statsToLetGo, type ErrorRateStats, type MonitoringState, type OperationStats } from "./monitoring-state.js";

/** A span at saga time `at` needs statistics under `key` in `map` (the services or the operations): those it makes go are resolved into `out`. */
export function lettingGoOnSpan(map: Map<string, ErrorRateStats>, key: string, at: bigint, state: MonitoringState, out: MonitoringOutput[]): void {
  // Without an open statistic alert there is nothing to resolve, and no need to look.
  if (state.statisticAlerts.size === 0 || map.size < state.config.maxOperations) return;
  const existing = map.get(key);
  // Kept, and made recent: nothing goes for it.
  if (existing !== undefined && !isIdle(existing, at, state.config)) return;
  for (const [, stats] of statsToLetGo(state, map, key, at)) {
    const errorAlert = stats.errorAlertId === undefined ? undefined : state.statisticAlerts.get(stats.errorAlertId);
    if (errorAlert?.kind === "error_rate") errorRateOnTick(errorAlert, at, state, out);
    // Only an operation idle past the retention goes with its anomaly open.
    if ("anomalyAlertId" in stats) idleOperationOnSpan(stats as OperationStats, state, out);
  }
}
