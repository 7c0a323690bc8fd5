// Error rate per service and per operation: errored / ended spans over the
// sliding window, judged only with at least minSamples ended spans in it.
//
// An errored span that takes the rate above the threshold raises the alert; it
// names the alert and is its exemplar. The alert resolves when the rate falls to
// the resolve level, or too few spans remain to say it is still high: at the
// span that brings it there, or at the bucket boundary where old buckets left
// the window. Boundaries are walked (at most one window's worth) from where the
// alert was last checked, so the resolution is the same whether a tick or the
// next span found it, and whatever the tick cadence.

import { operationErrorRateAlertId, serviceErrorRateAlertId } from "./alert-ids.js";
import { formatDuration, formatRate } from "./alert-text.js";
import { countBuckets, releasingBucket, type ErrorCounts } from "./error-rate-window.js";
import type { AlertRaised, AlertResolved, OperationSubject, ResolveReason, ServiceSubject } from "./monitoring-events.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import { bucketCount, bucketOf, checkedBucket, errorRateStatsOf, type ActiveSpan, type ErrorRateStats, type MonitoringState } from "./monitoring-state.js";

type Scope = "service" | "operation";
type ErrorRateAlert = Extract<AlertRaised, { kind: "error_rate" }>;

// decide runs to completion before anything else reads it, so one scratch
// object serves every count and the hot path allocates nothing.
const counts: ErrorCounts = { ended: 0, errored: 0 };

/** A span ended at saga time `at`: judge its service's and its operation's windows with it counted. */
export function errorRateOnEnd(span: ActiveSpan, isError: boolean, at: bigint, state: MonitoringState, out: MonitoringOutput[]): void {
  const bucket = bucketOf(state, at);
  judgeWithSpan(state.services.get(span.service), "service", span, isError, at, bucket, state, out);
  judgeWithSpan(state.operations.get(span.operationKey), "operation", span, isError, at, bucket, state, out);
}

/** Time passed: an open alert may resolve as old buckets leave the window. */
export function errorRateOnTick(alert: ErrorRateAlert, now: bigint, state: MonitoringState, out: MonitoringOutput[]): void {
  const stats = errorRateStatsOf(state, alert.subject);
  if (stats === undefined) {
    // Adopted from the stream with no statistics behind it (raised under other settings, its
    // spans since deleted): resolved where its own bucket has left the window, a time fixed by
    // the raise, so every leader stores the same resolution whenever its ticks come.
    const at = BigInt(bucketOf(state, alert.at) + bucketCount(state.config)) * state.config.errorRate.bucketNs;
    if (at <= now) out.push(rateResolved(alert.alertId, alert.subject, at, "insufficient_samples", 0));
    return;
  }
  const resolved = resolutionAtBoundaries(stats, alert.alertId, alert.subject, bucketOf(state, now), state);
  if (resolved) out.push(resolved);
}

function judgeWithSpan(
  stats: ErrorRateStats | undefined,
  scope: Scope,
  span: ActiveSpan,
  isError: boolean,
  at: bigint,
  bucket: number,
  state: MonitoringState,
  out: MonitoringOutput[],
): void {
  const c = state.config.errorRate;
  let openId = stats?.errorAlertId;
  if (stats !== undefined && openId !== undefined) {
    const resolved = resolutionAtBoundaries(stats, openId, subjectOf(scope, span), bucket, state);
    if (resolved) {
      out.push(resolved);
      openId = undefined;
    }
  }
  if (stats) countBuckets(stats.errors, bucket - bucketCount(state.config) + 1, bucket, counts);
  else counts.ended = counts.errored = 0;
  const ended = counts.ended + 1;
  const errored = counts.errored + (isError ? 1 : 0);
  const rate = errored / ended;
  if (openId !== undefined) {
    if (ended < c.minSamples) out.push(rateResolved(openId, subjectOf(scope, span), at, "insufficient_samples", rate));
    else if (rate <= c.resolveAt) out.push(rateResolved(openId, subjectOf(scope, span), at, "below_threshold", rate));
  } else if (isError && ended >= c.minSamples && rate > c.threshold) {
    out.push(rateRaised(scope, span, at, rate, ended, errored, state));
  }
}

/** The first bucket boundary after the alert's last check, up to `bucket`, at which the window no longer holds the alert up. */
function resolutionAtBoundaries(
  stats: ErrorRateStats,
  alertId: string,
  subject: ServiceSubject | OperationSubject,
  bucket: number,
  state: MonitoringState,
): AlertResolved | undefined {
  const c = state.config.errorRate;
  // Spans were counted up to lastBucket and ticks checked up to tickedBucket.
  const b = releasingBucket(stats.errors, checkedBucket(stats, state) + 1, bucket, c, counts);
  if (b === undefined) return undefined;
  const rate = counts.ended === 0 ? 0 : counts.errored / counts.ended;
  return rateResolved(alertId, subject, BigInt(b) * c.bucketNs, counts.ended < c.minSamples ? "insufficient_samples" : "below_threshold", rate);
}

function subjectOf(scope: Scope, span: ActiveSpan): ServiceSubject | OperationSubject {
  return scope === "service" ? { type: "service", service: span.service } : { type: "operation", service: span.service, operation: span.name };
}

function rateRaised(scope: Scope, span: ActiveSpan, at: bigint, rate: number, ended: number, errored: number, state: MonitoringState): AlertRaised {
  const c = state.config.errorRate;
  const what = scope === "service" ? span.service : `"${span.name}" of ${span.service}`;
  return {
    type: "AlertRaised",
    alertId:
      scope === "service"
        ? serviceErrorRateAlertId(span.service, span.traceId, span.spanId)
        : operationErrorRateAlertId(span.service, span.name, span.traceId, span.spanId),
    kind: "error_rate",
    subject: subjectOf(scope, span),
    at,
    value: rate,
    threshold: c.threshold,
    unit: "ratio",
    samples: ended,
    errors: errored,
    exemplar: { traceId: span.traceId, spanId: span.spanId },
    message: `error rate of ${what} is ${formatRate(rate)} (${errored} of ${ended} spans in ${formatDuration(c.windowNs)}), above ${formatRate(c.threshold)}`,
  };
}

function rateResolved(alertId: string, subject: ServiceSubject | OperationSubject, at: bigint, reason: ResolveReason, rate: number): AlertResolved {
  return { type: "AlertResolved", alertId, kind: "error_rate", subject, at, reason, value: rate, unit: "ratio" };
}
