// What is running right now, for ListActiveSpans and its live stream.

import type { SpanKind } from "@traceledger/proto";
import type { ActiveSpan, MonitoringState } from "./monitoring-state.js";

export interface ActiveSpanView {
  readonly traceId: string;
  readonly spanId: string;
  readonly service: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTime: bigint;
  /** now - start, never negative (a client clock may run ahead). */
  readonly runningNs: bigint;
  readonly slowThresholdNs: bigint;
  /** A slow-span alert is open for it. */
  readonly slow: boolean;
  /** The saga asked the aggregate to close it as an orphan. */
  readonly closing: boolean;
}

/** Every running span with its running time at `now`, grouped by trace, in no promised order. */
export function activeSpans(state: MonitoringState, now: bigint): ActiveSpanView[] {
  const views: ActiveSpanView[] = [];
  for (const trace of state.liveTraces) {
    for (const span of trace.running.values()) views.push(activeSpanView(span, now > span.startTime ? now - span.startTime : 0n));
  }
  return views;
}

/** One running span as ListActiveSpans shows it, having run `runningNs`. */
export function activeSpanView(span: ActiveSpan, runningNs: bigint): ActiveSpanView {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    service: span.service,
    name: span.name,
    kind: span.kind,
    startTime: span.startTime,
    runningNs,
    slowThresholdNs: span.slowThresholdNs,
    slow: span.slowAlertId !== undefined,
    closing: span.closeRequested,
  };
}
