import { describe, expect, it } from "vitest";
import { toBinary } from "@bufbuild/protobuf";
import { SpanEndReason, SpanSchema, SpanState, StatusCode, TraceSchema, TraceState } from "@traceledger/proto";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { NOW, TRACE } from "../domain/testing/trace-specification.js";
import {
  CHILD,
  ROOT,
  T0,
  attr,
  attributesUpdated,
  errorOccurred,
  eventRecorded,
  ms,
  runningTrace,
  spanEnded,
  spanStarted,
  traceCompleted,
  traceStarted,
} from "../domain/testing/trace-fixtures.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { buildTraceView } from "./testing/build-trace-view.js";
import { TraceViewBuilder } from "./trace-view.js";

describe("the trace view folded from events", () => {
  it("shows running spans while they run, measured to now", () => {
    const trace = buildTraceView(TRACE, runningTrace(), T0 + ms(40));
    expect(trace.state).toBe(TraceState.OPEN);
    expect(trace.version).toBe(3n);
    expect(trace.runningSpanCount).toBe(2);
    expect(trace.spans.map((s) => [bytesToHex(s.spanId), SpanState[s.state], s.durationNano])).toEqual([
      [ROOT, "RUNNING", ms(40)],
      [CHILD, "RUNNING", ms(40)],
    ]);
    expect(trace.durationNano).toBe(ms(40));
    expect(trace.spans[1]!.traceparent).toBe(`00-${TRACE}-${CHILD}-01`);
    expect(bytesToHex(trace.spans[1]!.parentSpanId)).toBe(ROOT);
  });

  it("merges attributes by key, keeps events and errors in order, and completes", () => {
    const events = [
      traceStarted(),
      spanStarted(ROOT, { attributes: [attr("http.route", "/checkout"), attr("retries", 0)] }),
      spanStarted(CHILD, { parentSpanId: ROOT, startTime: T0 + ms(1) }),
      eventRecorded(CHILD, { name: "cache.miss", time: T0 + ms(2) }),
      errorOccurred(CHILD, { time: T0 + ms(3) }),
      spanEnded(CHILD, { endTime: T0 + ms(4), statusCode: StatusCode.ERROR, statusMessage: "declined" }),
      attributesUpdated(ROOT, { attributes: [attr("retries", 2)] }),
      spanEnded(ROOT, { endTime: T0 + ms(6), attributes: [attr("http.response.status_code", 502)] }),
      traceCompleted({ end: T0 + ms(6), spans: 2, errors: 1 }),
    ];
    const trace = buildTraceView(TRACE, events, NOW);
    expect(trace.state).toBe(TraceState.COMPLETED);
    expect(trace.durationNano).toBe(ms(6));
    expect(trace.errorCount).toBe(1);
    expect(trace.rootName).toBe("POST /checkout");
    const [root, child] = trace.spans;
    expect(root!.attributes.map((kv) => [kv.key, kv.value?.value.value])).toEqual([
      ["http.route", "/checkout"],
      ["retries", 2n],
      ["http.response.status_code", 502n],
    ]);
    expect(child!.events.map((e) => e.name)).toEqual(["cache.miss"]);
    expect(child!.errors.map((e) => e.errorType)).toEqual(["CardDeclined"]);
    expect(child!.status).toMatchObject({ code: StatusCode.ERROR, message: "declined" });
    expect(child!.durationNano).toBe(ms(3));
    expect(child!.endReason).toBe(SpanEndReason.COMPLETED);
  });

  it("shows a span under the name its end gave it from the end on, and under its first name before", () => {
    const events = [...runningTrace(), spanEnded(CHILD), spanEnded(ROOT, { name: "POST /checkout/{cart}" }), traceCompleted({ spans: 2 })];
    const trace = buildTraceView(TRACE, events, NOW);
    expect(trace.rootName).toBe("POST /checkout/{cart}");
    expect(trace.spans.map((span) => span.name)).toEqual(["POST /checkout/{cart}", "charge card"]);
    const before = buildTraceView(TRACE, events.slice(0, 4), NOW);
    expect(before.rootName).toBe("POST /checkout");
    expect(before.spans[0]!.name).toBe("POST /checkout");
  });

  it("takes a span that arrived after completion, with the restated completion, as part of the completed trace", () => {
    const events = [
      traceStarted(),
      spanStarted(ROOT),
      spanEnded(ROOT, { endTime: T0 + ms(5) }),
      traceCompleted({ spans: 1 }),
      spanStarted(CHILD, { parentSpanId: ROOT, startTime: T0 + ms(1) }),
      spanEnded(CHILD, { endTime: T0 + ms(20), statusCode: StatusCode.ERROR }),
      traceCompleted({ spans: 2, errors: 1, end: T0 + ms(20), late: 1 }),
    ];
    const trace = buildTraceView(TRACE, events, NOW);
    expect(trace).toMatchObject({ state: TraceState.COMPLETED, spanCount: 2, errorCount: 1, runningSpanCount: 0, durationNano: ms(20), version: 7n });
    expect(buildTraceView(TRACE, events.slice(0, 4), NOW)).toMatchObject({ state: TraceState.COMPLETED, spanCount: 1, durationNano: ms(5) });
  });

  it("is the state as of any version when fed a prefix of the events", () => {
    const events = [...runningTrace(), spanEnded(CHILD)];
    expect(buildTraceView(TRACE, events.slice(0, 2), NOW).spans).toHaveLength(1);
    expect(buildTraceView(TRACE, events.slice(0, 3), NOW).spans).toHaveLength(2);
    expect(buildTraceView(TRACE, events, NOW).spans[1]!.state).toBe(SpanState.ENDED);
    expect(buildTraceView(TRACE, [], NOW).state).toBe(TraceState.UNSPECIFIED);
  });
});

/** The event with the dropped and truncated counts its reporter (or our limits) gave it. */
function counted(event: TraceEventCase, dropped: number, truncated = 0): TraceEventCase {
  Object.assign(event.value, { droppedAttributesCount: dropped, truncatedValuesCount: truncated });
  return event;
}

describe("a span's limited attributes count", () => {
  const MAX = 0xffff_ffff;
  // An OTLP span may say it dropped 2^32 - 1 attributes; what its start, end, events, errors
  // and updates add to that would not fit the uint32 field, and GetTrace failed to encode it.
  const events = (): TraceEventCase[] => [
    traceStarted(),
    counted(spanStarted(ROOT), MAX, 1),
    counted(eventRecorded(ROOT, { time: T0 + ms(1) }), 1, 1),
    counted(errorOccurred(ROOT, { time: T0 + ms(2) }), 2),
    counted(attributesUpdated(ROOT), 3),
    counted(spanEnded(ROOT, { endTime: T0 + ms(3) }), MAX, MAX),
  ];

  it("stops at 2^32 - 1 however many counts are summed into it, and the trace encodes", () => {
    for (let version = 2; version <= events().length; version++) {
      const trace = buildTraceView(TRACE, events().slice(0, version), NOW);
      expect(trace.spans[0]!.limitedAttributesCount, `version ${version}`).toBe(MAX);
      expect(() => toBinary(TraceSchema, trace)).not.toThrow();
    }
  });

  it("sums what it can below the cap as before", () => {
    const small = [traceStarted(), counted(spanStarted(ROOT), 2, 1), counted(eventRecorded(ROOT), 1, 1), counted(spanEnded(ROOT), 3)];
    expect(buildTraceView(TRACE, small, NOW).spans[0]!.limitedAttributesCount).toBe(8);
  });

  it("stops at 2^32 - 1 too when the fold resumes from a snapshot's spans", () => {
    const all = events();
    for (let at = 2; at < all.length; at++) {
      const before = new TraceViewBuilder(TRACE);
      for (const e of all.slice(0, at)) before.apply(e);
      const snapshot = before.build(NOW);
      const resumed = new TraceViewBuilder(TRACE, before.progress);
      for (const span of snapshot.spans) resumed.adopt(span);
      for (const e of all.slice(at)) resumed.apply(e);
      const span = resumed.build(NOW).spans[0]!;
      expect(span.limitedAttributesCount, `resumed at ${at}`).toBe(MAX);
      expect(() => toBinary(SpanSchema, span)).not.toThrow();
    }
  });
});
