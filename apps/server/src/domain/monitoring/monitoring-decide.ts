// decide: one input and the state before it in, the saga's outputs out: alert
// events for the monitoring stream and commands for the trace aggregate. It
// reads the state and never changes it; evolveMonitoring folds the input and
// then these outputs (distributed-tracing-saga.ts does both, in that order).
// Most events decide nothing, and answer one shared empty array.

import { StatusCode } from "@traceledger/proto";
import { anomalyOnEnd, anomalyOnTick, idleOperationOnSpan } from "./anomaly-rules.js";
import { boundedText } from "./bounded-text.js";
import { criticalErrorOnError, criticalErrorsOnFinish } from "./critical-error-rules.js";
import { errorRateOnEnd, errorRateOnTick } from "./error-rate-rules.js";
import type { ResolveReason } from "./monitoring-events.js";
import type { MonitoringInput, TraceEventRecorded } from "./monitoring-input.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import { endedAs, isIdle, spanIdHex, startedOperationKey, type ActiveSpan, type MonitoringState } from "./monitoring-state.js";
import { idleTracesOnTick, orphanOnTick } from "./orphan-rules.js";
import type { SagaSpanId, SagaSpanStarted } from "./saga-trace-event.js";
import { slowSpanOnEnd, slowSpanOnFinish, slowSpanOnTick, slowTraceOnCompleted, slowTraceOnTick } from "./slow-rules.js";
import { lettingGoOnSpan } from "./stats-cap-rules.js";

const NOTHING: readonly MonitoringOutput[] = Object.freeze([]);
// Most ended spans and completed traces decide nothing: the rules write into
// this scratch list, and only a decision that has outputs gets its own array.
// decide runs to completion before it is called again, so one list serves all.
const scratch: MonitoringOutput[] = [];

function decided(out: MonitoringOutput[]): readonly MonitoringOutput[] {
  return out.length === 0 ? NOTHING : out.splice(0);
}

export function decideMonitoring(input: MonitoringInput, state: MonitoringState): readonly MonitoringOutput[] {
  switch (input.type) {
    case "Tick":
      return tick(input.now > state.clock ? input.now : state.clock, state);
    case "TraceEventRecorded":
      return traceEvent(input, input.recordedAt > state.clock ? input.recordedAt : state.clock, state);
  }
}

/** Walks the running spans, the idle traces and the open statistic alerts: never every trace or operation. */
function tick(now: bigint, state: MonitoringState): readonly MonitoringOutput[] {
  const out: MonitoringOutput[] = [];
  for (const trace of state.liveTraces) {
    slowTraceOnTick(trace, now, state, out);
    for (const span of trace.running.values()) {
      slowSpanOnTick(span, now, out);
      orphanOnTick(span, now, state, out);
    }
  }
  idleTracesOnTick(now, state, out);
  for (const alert of state.statisticAlerts.values()) {
    if (alert.kind === "error_rate") errorRateOnTick(alert, now, state, out);
    else anomalyOnTick(alert, now, state, out);
  }
  return out.length === 0 ? NOTHING : out;
}

function traceEvent(input: TraceEventRecorded, at: bigint, state: MonitoringState): readonly MonitoringOutput[] {
  const { event } = input;
  switch (event.case) {
    case "spanEnded": {
      const span = runningSpan(state, input.traceId, event.value.spanId);
      if (span === undefined) return NOTHING;
      const out = scratch;
      out.length = 0;
      const end = event.value.endTimeUnixNano;
      const durationNs = end > span.startTime ? end - span.startTime : 0n;
      const ended = endedAs(span, event.value.name);
      // Its service's statistics, then its operation's, may make others go (evolve makes them in that order).
      lettingGoOnSpan(state.services, ended.service, at, state, out);
      lettingGoOnSpan(state.operations, ended.operationKey, at, state, out);
      slowSpanOnEnd(span, ended, end, durationNs, state.config, out);
      criticalErrorsOnFinish(span, end, durationNs, "span_ended", out);
      errorRateOnEnd(ended, event.value.status?.code === StatusCode.ERROR, at, state, out);
      anomalyOnEnd(ended, end, durationNs, at, state, out);
      return decided(out);
    }
    case "spanOrphaned": {
      const span = runningSpan(state, input.traceId, event.value.spanId);
      if (span === undefined) return NOTHING;
      const out: MonitoringOutput[] = [];
      finished(span, event.value.closedTimeUnixNano, event.value.openDurationNano, "span_orphaned", out);
      return out.length === 0 ? NOTHING : out;
    }
    case "spanErrorOccurred": {
      const span = runningSpan(state, input.traceId, event.value.spanId);
      if (span === undefined || !state.config.criticalErrorTypes.has(event.value.errorType)) return NOTHING;
      const out: MonitoringOutput[] = [];
      criticalErrorOnError(span, event.value, state, out);
      return out.length === 0 ? NOTHING : out;
    }
    case "traceCompleted": {
      const e = event.value;
      const trace = state.traces.get(input.traceId);
      const out = scratch;
      out.length = 0;
      // The aggregate ends or orphans every span before it completes a trace; this only tidies up after a partial history.
      if (trace) for (const span of trace.running.values()) finished(span, e.endTimeUnixNano, e.endTimeUnixNano - span.startTime, "trace_completed", out);
      slowTraceOnCompleted(input.traceId, trace, { startTime: e.startTimeUnixNano, endTime: e.endTimeUnixNano, durationNs: e.durationNano }, state, out);
      return decided(out);
    }
    case "spanStarted":
      // Only an operation with an alert open can have anything to resolve.
      return state.statisticAlerts.size === 0 ? NOTHING : statisticsOnStart(input, event.value, at, state);
    case "traceStarted":
    case "spanEventRecorded":
    case "spanAttributeUpdated":
      return NOTHING;
  }
}

/**
 * A span of an operation idle past the retention starts, and no tick has found it yet
 * (a replay's ticks follow the log, and a log that went quiet gives none): the start
 * makes the operation new (monitoring-state.ts), so what a tick in the quiet spell would
 * have resolved on it is resolved first, with the same content. So is what a tick would
 * have resolved on the statistics a new operation makes go past the cap (stats-cap-rules.ts).
 */
function statisticsOnStart(
  input: TraceEventRecorded,
  e: SagaSpanStarted,
  at: bigint,
  state: MonitoringState,
): readonly MonitoringOutput[] {
  // A start already folded touches nothing.
  if (state.traces.get(input.traceId)?.running.has(spanIdHex(e.spanId))) return NOTHING;
  const key = startedOperationKey(boundedText(e.serviceName), boundedText(e.name));
  const op = state.operations.get(key);
  const out: MonitoringOutput[] = [];
  if (op !== undefined && (op.errorAlertId !== undefined || op.anomalyAlertId !== undefined) && isIdle(op, at, state.config)) {
    const errorAlert = op.errorAlertId === undefined ? undefined : state.statisticAlerts.get(op.errorAlertId);
    if (errorAlert?.kind === "error_rate") errorRateOnTick(errorAlert, at, state, out);
    idleOperationOnSpan(op, state, out);
  }
  lettingGoOnSpan(state.operations, key, at, state, out);
  return out.length === 0 ? NOTHING : out;
}

function finished(span: ActiveSpan, end: bigint, durationNs: bigint, reason: ResolveReason, out: MonitoringOutput[]): void {
  slowSpanOnFinish(span, end, durationNs, reason, out);
  criticalErrorsOnFinish(span, end, durationNs, reason, out);
}

function runningSpan(state: MonitoringState, traceId: string, spanId: SagaSpanId): ActiveSpan | undefined {
  return state.traces.get(traceId)?.running.get(spanIdHex(spanId));
}
