// Slow spans and slow traces. An open span is flagged by the first tick after
// it passes its threshold, while it still runs; its end resolves the alert with
// the final duration. A tick judges only the time the saga has seen the span
// run: from when the saga learned of it (openSince), whatever start time the client gave.
// A start reported after the fact (a buffering client, a start time in the
// past) says nothing of when the span ended, and its end may be on its way as
// late: so such a span is raised on a tick only once it has been open, as far
// as the saga knows, for its threshold since then; if its end comes first, the
// end decides from the real duration. A span or trace that was already over its threshold when
// it ended (nobody saw it run: OTLP, or it ended between ticks) is raised and
// resolved at its end, with the same id and content a tick would have given,
// so which alerts exist does not depend on how often the saga ticks.
// A span renamed as it ends (an HTTP server span that learnt its route) ran
// under its start name and threshold; its end, if nothing was raised, judges it
// against the lower of that and its final name's: what a tick would have raised
// is still raised, and an override for the final name is not lost.

import { slowSpanAlertId, slowTraceAlertId } from "./alert-ids.js";
import { formatDuration } from "./alert-text.js";
import { resolvedAlert, spanSubject } from "./alert-parts.js";
import { slowSpanThresholdNs, type MonitoringConfig } from "./monitoring-config.js";
import type { AlertRaised, ResolveReason, TraceSubject } from "./monitoring-events.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import type { ActiveSpan, MonitoringState, TraceTrack } from "./monitoring-state.js";

export function slowSpanOnTick(span: ActiveSpan, now: bigint, out: MonitoringOutput[]): void {
  if (span.slowAlertId === undefined && now - span.openSince > span.slowThresholdNs) out.push(slowSpanRaised(span));
}

/** The span ended or was orphaned `durationNs` after its start. */
export function slowSpanOnFinish(span: ActiveSpan, end: bigint, durationNs: bigint, reason: ResolveReason, out: MonitoringOutput[]): void {
  if (span.slowAlertId !== undefined) {
    out.push(resolvedAlert(span.slowAlertId, "slow_span", spanSubject(span), end, reason, durationNs));
  } else if (durationNs > span.slowThresholdNs) {
    const raised = slowSpanRaised(span);
    out.push(raised, resolvedAlert(raised.alertId, "slow_span", raised.subject, end, reason, durationNs));
  }
}

/**
 * The span ended; `ended` is it as its end named it (the span itself when not renamed). With
 * nothing raised while it ran and a final name whose threshold is lower, it is judged as that:
 * raised (at its end) by the final name and that threshold, with the same alert id.
 */
export function slowSpanOnEnd(span: ActiveSpan, ended: ActiveSpan, end: bigint, durationNs: bigint, config: MonitoringConfig, out: MonitoringOutput[]): void {
  let judged = span;
  if (ended !== span && span.slowAlertId === undefined) {
    const finalThreshold = slowSpanThresholdNs(config, ended.service, ended.name);
    if (finalThreshold < span.slowThresholdNs) judged = { ...ended, slowThresholdNs: finalThreshold };
  }
  slowSpanOnFinish(judged, end, durationNs, "span_ended", out);
}

export function slowTraceOnTick(trace: TraceTrack, now: bigint, state: MonitoringState, out: MonitoringOutput[]): void {
  const threshold = state.config.slowTraceThresholdNs;
  // From when the saga learned of it: a trace seen as it began is judged from (about) its start.
  if (trace.slowAlertId === undefined && now - trace.openSince > threshold) out.push(slowTraceRaised(traceSubject(trace.traceId, trace), countedFrom(trace.startTime, trace.openSince), threshold));
}

export function slowTraceOnCompleted(
  traceId: string,
  trace: TraceTrack | undefined,
  completed: { startTime: bigint; endTime: bigint; durationNs: bigint },
  state: MonitoringState,
  out: MonitoringOutput[],
): void {
  const threshold = state.config.slowTraceThresholdNs;
  const subject = traceSubject(traceId, trace);
  // Open in the stream though this leader knows nothing of the trace (adopted, its events
  // before what it read): the completion resolves it all the same.
  const adopted = trace?.slowAlertId === undefined ? state.openAlerts.get(slowTraceAlertId(traceId)) : undefined;
  if (trace?.slowAlertId !== undefined) {
    out.push(resolvedAlert(trace.slowAlertId, "slow_trace", subject, completed.endTime, "trace_completed", completed.durationNs));
  } else if (adopted !== undefined) {
    out.push(resolvedAlert(adopted.alertId, "slow_trace", adopted.subject, completed.endTime, "trace_completed", completed.durationNs));
  } else if (completed.durationNs > threshold) {
    const raised = slowTraceRaised(subject, countedFrom(completed.startTime, trace?.openSince ?? completed.startTime), threshold);
    out.push(raised, resolvedAlert(raised.alertId, "slow_trace", subject, completed.endTime, "trace_completed", completed.durationNs));
  }
}

/**
 * Where a slow alert's time counts from: the start, unless the client dated it after the saga
 * learned of it (a fast clock), so that no alert is dated ahead of when it was raised.
 */
function countedFrom(startTime: bigint, openSince: bigint): bigint {
  return startTime < openSince ? startTime : openSince;
}

function slowSpanRaised(span: ActiveSpan): AlertRaised {
  const threshold = span.slowThresholdNs;
  return {
    type: "AlertRaised",
    alertId: slowSpanAlertId(span.traceId, span.spanId),
    kind: "slow_span",
    subject: spanSubject(span),
    // The moment it became slow: the same whichever tick, or the end, noticed it.
    at: countedFrom(span.startTime, span.openSince) + threshold,
    value: Number(threshold),
    threshold: Number(threshold),
    unit: "ns",
    message: `span "${span.name}" of ${span.service} has run longer than ${formatDuration(threshold)}`,
  };
}

function traceSubject(traceId: string, trace: TraceTrack | undefined): TraceSubject {
  return { type: "trace", traceId, service: trace?.service ?? "", operation: trace?.operation ?? "" };
}

function slowTraceRaised(subject: TraceSubject, startTime: bigint, threshold: bigint): AlertRaised {
  const what = subject.operation === "" ? `trace ${subject.traceId}` : `trace "${subject.operation}" of ${subject.service}`;
  return {
    type: "AlertRaised",
    alertId: slowTraceAlertId(subject.traceId),
    kind: "slow_trace",
    subject,
    at: startTime + threshold,
    value: Number(threshold),
    threshold: Number(threshold),
    unit: "ns",
    message: `${what} has run longer than ${formatDuration(threshold)}`,
  };
}
