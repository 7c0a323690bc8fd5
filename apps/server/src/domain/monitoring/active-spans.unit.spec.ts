import { describe, expect, it } from "vitest";
import { SpanKind } from "@traceledger/proto";
import { CHILD, ROOT } from "../testing/trace-fixtures.js";
import { activeSpans } from "./active-spans.js";
import { completed, ended, orphaned, s, started, T0, tick, traceBegan, TRACE } from "./testing/monitoring-fixtures.js";
import { given, run } from "./testing/monitoring-specification.js";

describe("active spans", () => {
  it("a started span is listed with its running time", () => {
    const { state } = run([traceBegan(), started(ROOT), started(CHILD, { parent: ROOT, start: T0 + s(1) })]);
    expect(activeSpans(state, T0 + s(3))).toEqual([
      { traceId: TRACE, spanId: ROOT, service: "checkout", name: "POST /checkout", kind: SpanKind.SERVER, startTime: T0, runningNs: s(3), slowThresholdNs: s(5), slow: false, closing: false },
      { traceId: TRACE, spanId: CHILD, service: "payments", name: "charge card", kind: SpanKind.SERVER, startTime: T0 + s(1), runningNs: s(2), slowThresholdNs: s(5), slow: false, closing: false },
    ]);
  });

  it("an ended span is no longer listed", () => {
    const { state } = run([traceBegan(), started(ROOT), started(CHILD, { parent: ROOT }), ended(CHILD, { end: T0 + s(1) })]);
    expect(activeSpans(state, T0 + s(2)).map((span) => span.spanId)).toEqual([ROOT]);
  });

  it("an orphaned span is no longer listed", () => {
    const { state } = run([traceBegan(), started(ROOT), started(CHILD, { parent: ROOT }), orphaned(CHILD, { start: T0, closed: T0 + s(300) })]);
    expect(activeSpans(state, T0 + s(301)).map((span) => span.spanId)).toEqual([ROOT]);
  });

  it("a completed trace takes its spans and itself out of the state", () => {
    const { state } = run([traceBegan(), started(ROOT), ended(ROOT, { end: T0 + s(1) }), completed({ end: T0 + s(1) })]);
    expect(activeSpans(state, T0 + s(2))).toEqual([]);
    expect(state.traces.size).toBe(0);
    expect(state.liveTraces.size).toBe(0);
  });

  it("a span started again (an event delivered twice) keeps its first record", () => {
    const { state } = run([traceBegan(), started(ROOT), started(ROOT, { at: T0 + s(2) })]);
    expect(activeSpans(state, T0 + s(3))).toMatchObject([{ spanId: ROOT, runningNs: s(3) }]);
  });

  it("a client clock ahead of ours shows a running time of zero, not a negative one", () => {
    const { state } = run([traceBegan(), started(ROOT, { start: T0 + s(10), at: T0 })]);
    expect(activeSpans(state, T0 + s(1))).toMatchObject([{ runningNs: 0n }]);
  });

  it("starting a span decides nothing by itself", () => {
    given([traceBegan()]).when(started(ROOT)).thenNothing();
  });
});

describe("active spans: flags", () => {
  it("shows a span flagged slow, and one the saga asked to close", () => {
    const { state } = run([traceBegan(), started(ROOT), started(CHILD, { parent: ROOT, start: T0 + s(290) }), tick(T0 + s(301))]);
    expect(activeSpans(state, T0 + s(301))).toMatchObject([
      { spanId: ROOT, slow: true, closing: true },
      { spanId: CHILD, slow: true, closing: false },
    ]);
  });
});
