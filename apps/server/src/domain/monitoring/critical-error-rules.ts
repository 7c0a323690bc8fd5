// An error of a type the operator named critical raises an alert at once, with
// no window and no sample size. It is about one span, so it resolves when that
// span finishes: an open alert always has something still open behind it.

import { criticalErrorAlertId } from "./alert-ids.js";
import { resolvedAlert, spanSubject } from "./alert-parts.js";
import { boundedText } from "./bounded-text.js";
import type { ResolveReason } from "./monitoring-events.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import type { ActiveSpan, MonitoringState } from "./monitoring-state.js";
import type { SagaSpanErrorOccurred } from "./saga-trace-event.js";

export function criticalErrorOnError(span: ActiveSpan, error: SagaSpanErrorOccurred, state: MonitoringState, out: MonitoringOutput[]): void {
  if (!state.config.criticalErrorTypes.has(error.errorType)) return;
  const alertId = criticalErrorAlertId(span.traceId, span.spanId, error.errorId);
  if (state.openAlerts.has(alertId)) return;
  out.push({
    type: "AlertRaised",
    alertId,
    kind: "critical_error",
    subject: spanSubject(span),
    // The type is one the operator named; the id and the message are the client's, of any length.
    errorType: boundedText(error.errorType),
    errorId: boundedText(error.errorId),
    at: error.timeUnixNano,
    value: 1,
    threshold: 1,
    unit: "count",
    message: `critical error ${boundedText(error.errorType)} in span "${span.name}" of ${span.service}: ${boundedText(error.message)}`,
  });
}

export function criticalErrorsOnFinish(span: ActiveSpan, end: bigint, durationNs: bigint, reason: ResolveReason, out: MonitoringOutput[]): void {
  if (span.criticalAlertIds === undefined) return;
  for (const alertId of span.criticalAlertIds) out.push(resolvedAlert(alertId, "critical_error", spanSubject(span), end, reason, durationNs));
}
