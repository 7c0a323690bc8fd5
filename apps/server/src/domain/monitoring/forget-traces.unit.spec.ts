// Given a state holding traces and their alerts, when retention deleted some of those
// traces (the runner found their streams gone), then: they are forgotten, and every open
// alert about one of their spans or about the trace is resolved "trace_deleted", since no
// span's end or trace's completion can resolve it any more. Other alerts stay open.

import { describe, expect, it } from "vitest";
import { ROOT } from "../testing/trace-fixtures.js";
import { monitoringConfig } from "./monitoring-config.js";
import type { AlertRaised } from "./monitoring-events.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import { evolveMonitoring, forgetTraces, tracesWithOpenAlerts } from "./monitoring-state.js";
import { calls, errored, s, started, T0, tick, traceBegan, traceIdOf, TRACE } from "./testing/monitoring-fixtures.js";
import { run } from "./testing/monitoring-specification.js";

const critical = monitoringConfig({ criticalErrorTypes: ["OutOfMemoryError"] });
const OTHER = traceIdOf(77);

/** TRACE's root running 12 s (slow span, slow trace, a critical error); OTHER's root running and slow too; an error-rate episode. */
function history() {
  const inputs = [
    traceBegan(),
    started(ROOT),
    errored(ROOT, { time: T0 + s(1), errorType: "OutOfMemoryError", errorId: "oom-1" }),
    traceBegan({ traceId: OTHER }),
    started(ROOT, { traceId: OTHER }),
    ...calls(20, { from: T0 + s(2), errors: 5 }),
    tick(T0 + s(12)),
  ];
  return run(inputs, critical);
}

const kinds = (alerts: Iterable<AlertRaised>) => [...alerts].map((a) => `${a.kind} ${"traceId" in a.subject ? a.subject.traceId : a.subject.type}`).sort();

describe("a trace the log no longer has", () => {
  it("is forgotten with its running spans, and its open alerts are resolved as deleted, at the saga's time, value zero", () => {
    const { state } = history();
    expect(kinds(state.openAlerts.values())).toEqual(
      [`critical_error ${TRACE}`, `slow_span ${TRACE}`, `slow_trace ${TRACE}`, `slow_span ${OTHER}`, `slow_trace ${OTHER}`, "error_rate service", "error_rate operation"].sort(),
    );
    const ofTrace = [...state.openAlerts.values()].filter((a) => "traceId" in a.subject && a.subject.traceId === TRACE);
    const out: MonitoringOutput[] = [];
    const spans = forgetTraces(state, [TRACE], out);

    expect(spans.map((span) => span.spanId)).toEqual([ROOT]);
    expect(state.traces.has(TRACE)).toBe(false);
    expect([...state.liveTraces].map((trace) => trace.traceId)).toEqual([OTHER]);
    expect(out).toEqual(
      ofTrace.map((a) => ({ type: "AlertResolved", alertId: a.alertId, kind: a.kind, subject: a.subject, at: state.clock, reason: "trace_deleted", value: 0, unit: a.unit })),
    );
    expect(kinds(state.openAlerts.values())).toEqual([`slow_span ${OTHER}`, `slow_trace ${OTHER}`, "error_rate service", "error_rate operation"].sort());
  });

  it("resolves an alert whose trace the state does not track (its raise read back from the stream), not before the raise's own time", () => {
    const { state } = history();
    const gone = traceIdOf(99);
    const raised: AlertRaised = {
      type: "AlertRaised",
      alertId: `slow_span:${gone}:${ROOT}`,
      kind: "slow_span",
      subject: { type: "span", traceId: gone, spanId: ROOT, service: "checkout", operation: "GET /" },
      at: state.clock + s(30),
      value: 1,
      threshold: 1,
      unit: "ns",
      message: "slow",
    };
    evolveMonitoring(state, raised);
    expect(tracesWithOpenAlerts(state)).toEqual(new Set([TRACE, OTHER, gone]));
    const out: MonitoringOutput[] = [];
    expect(forgetTraces(state, [gone], out)).toEqual([]);
    expect(out).toEqual([expect.objectContaining({ type: "AlertResolved", alertId: raised.alertId, reason: "trace_deleted", at: raised.at })]);
    expect(state.openAlerts.has(raised.alertId)).toBe(false);
  });

  it("changes nothing when no trace is named, or one nothing is held about", () => {
    const { state } = history();
    const open = [...state.openAlerts.keys()];
    const out: MonitoringOutput[] = [];
    expect(forgetTraces(state, [], out)).toEqual([]);
    expect(forgetTraces(state, [traceIdOf(123)], out)).toEqual([]);
    expect(out).toEqual([]);
    expect([...state.openAlerts.keys()]).toEqual(open);
  });
});
