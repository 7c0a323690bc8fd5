// Latency anomalies per operation: an ended span far above its operation's
// baseline (latency-baseline.ts) opens an episode, named after that span; more
// anomalous spans belong to it. It resolves after clearAfter spans in a row
// inside the band, or when the operation goes quiet for the retention period
// (its statistics are then forgotten): found by a tick, or else by the next span
// of the operation, with the same content. One alert per episode, not per span:
// a regression on a hot operation would otherwise raise thousands.

import { latencyAnomalyAlertId } from "./alert-ids.js";
import { formatDuration } from "./alert-text.js";
import { anomalyThresholdNs } from "./latency-baseline.js";
import type { AlertRaised } from "./monitoring-events.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import { isAnomalous, isIdle, operationKey, type ActiveSpan, type MonitoringState, type OperationStats } from "./monitoring-state.js";

type AnomalyAlert = Extract<AlertRaised, { kind: "latency_anomaly" }>;

/** `at`: the saga's time. */
export function anomalyOnEnd(span: ActiveSpan, end: bigint, durationNs: bigint, at: bigint, state: MonitoringState, out: MonitoringOutput[]): void {
  const op = state.operations.get(span.operationKey);
  if (op === undefined) return;
  if (isIdle(op, at, state.config)) {
    // The span began before a quiet spell: its operation is forgotten (a fresh baseline judges nothing).
    idleOperationOnSpan(op, state, out);
    return;
  }
  const a = state.config.anomaly;
  const duration = Number(durationNs);
  const anomalous = isAnomalous(op, duration, state.config);
  if (op.anomalyAlertId !== undefined) {
    if (!anomalous && op.normalStreak + 1 >= a.clearAfter) {
      out.push({
        type: "AlertResolved",
        alertId: op.anomalyAlertId,
        kind: "latency_anomaly",
        subject: { type: "operation", service: span.service, operation: span.name },
        at: end,
        reason: "back_to_baseline",
        value: duration,
        unit: "ns",
      });
    }
  } else if (anomalous) {
    const threshold = anomalyThresholdNs(op.baseline, a.k, Number(a.minStddevNs));
    out.push({
      type: "AlertRaised",
      alertId: latencyAnomalyAlertId(span.service, span.name, span.traceId, span.spanId),
      kind: "latency_anomaly",
      subject: { type: "operation", service: span.service, operation: span.name },
      at: end,
      value: duration,
      threshold,
      unit: "ns",
      samples: op.baseline.samples,
      exemplar: { traceId: span.traceId, spanId: span.spanId },
      message: `span "${span.name}" of ${span.service} took ${formatDuration(duration)}, usually ${formatDuration(Math.round(op.baseline.meanNs))} (band up to ${formatDuration(Math.round(threshold))})`,
    });
  }
}

/** An episode on an operation that went quiet ends when its statistics would be forgotten. */
export function anomalyOnTick(alert: AnomalyAlert, now: bigint, state: MonitoringState, out: MonitoringOutput[]): void {
  const op = state.operations.get(operationKey(alert.subject.service, alert.subject.operation));
  // Without statistics behind it (adopted from the stream, its spans since deleted), it ends
  // as if its own span had been the operation's last: a time fixed by the raise, not the tick.
  const idleSince = op === undefined ? alert.at + state.config.statsRetentionNs : op.lastActivity + state.config.statsRetentionNs;
  if (idleSince >= now) return;
  out.push(idleResolved(alert, idleSince));
}

/**
 * A span of an operation that has been idle past the retention starts or ends, and no
 * tick has found it yet: what a tick in the quiet spell would have resolved on it, it
 * resolves now, with the same content, before the span makes the operation new again.
 */
export function idleOperationOnSpan(op: OperationStats, state: MonitoringState, out: MonitoringOutput[]): void {
  if (op.anomalyAlertId === undefined) return;
  const alert = state.statisticAlerts.get(op.anomalyAlertId);
  if (alert?.kind === "latency_anomaly") out.push(idleResolved(alert, op.lastActivity + state.config.statsRetentionNs));
}

function idleResolved(alert: AnomalyAlert, at: bigint): MonitoringOutput {
  return { type: "AlertResolved", alertId: alert.alertId, kind: "latency_anomaly", subject: alert.subject, at, reason: "idle", value: 0, unit: "ns" };
}
