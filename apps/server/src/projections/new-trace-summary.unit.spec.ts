import { describe, expect, it } from "vitest";
import { StatusCode } from "@traceledger/proto";
import { TRACE } from "../domain/testing/trace-specification.js";
import { CHILD, GRANDCHILD, ROOT, T0, ms, spanEnded, spanStarted, traceCompleted, traceStarted, errorOccurred } from "../domain/testing/trace-fixtures.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { encodeTraceEvent } from "../events/trace-event-codec.js";
import { newTraceSummary } from "./new-trace-summary.js";
import { listingDelta } from "./span-index-delta.js";

/** The listing delta of one trace's events, numbered from `firstVersion`. */
const deltaOf = (events: TraceEventCase[], firstVersion = 1) => listingDelta(events.map((event, i) => ({ streamId: TRACE, version: firstVersion + i, ...encodeTraceEvent(event) })));

describe("the summary of a trace first seen in this slice", () => {
  it("is summed up from its spans: root, times, counts and services in byte order", () => {
    const delta = deltaOf([
      traceStarted(),
      spanStarted(ROOT, { startTime: T0, serviceName: "gateway", name: "GET /orders" }),
      spanStarted(CHILD, { parentSpanId: ROOT, startTime: T0 - ms(1), serviceName: "Zeta", name: "early child" }),
      spanStarted(GRANDCHILD, { parentSpanId: CHILD, startTime: T0 + ms(1), serviceName: "gateway", name: "db" }),
      errorOccurred(GRANDCHILD),
      spanEnded(GRANDCHILD, { endTime: T0 + ms(3), statusCode: StatusCode.OK }),
      spanEnded(CHILD, { endTime: T0 + ms(9), statusCode: StatusCode.ERROR }),
    ]);
    const trace = delta.traces.get(TRACE)!;
    expect(trace).toMatchObject({ isNew: true, spanStarted: true, completed: false });
    expect(newTraceSummary(TRACE, trace)).toEqual({
      traceId: TRACE,
      state: 1,
      startTime: T0 - ms(1),
      endTime: T0 + ms(9),
      rootName: "GET /orders",
      rootServiceName: "gateway",
      spanCount: 3,
      errorCount: 2,
      runningSpanCount: 1,
      serviceNames: ["Zeta", "gateway"],
    });
  });

  it("is named after the earliest span when no span is a root, and completed when the trace is", () => {
    const delta = deltaOf([
      traceStarted(),
      spanStarted(CHILD, { parentSpanId: ROOT, startTime: T0 + ms(2), name: "later" }),
      spanStarted(GRANDCHILD, { parentSpanId: ROOT, startTime: T0 + ms(1), name: "earliest" }),
      spanEnded(CHILD, { endTime: T0 + ms(4) }),
      spanEnded(GRANDCHILD, { endTime: T0 + ms(3) }),
      traceCompleted({}),
    ]);
    expect(newTraceSummary(TRACE, delta.traces.get(TRACE)!)).toMatchObject({ state: 2, rootName: "earliest", runningSpanCount: 0, spanCount: 2 });
  });

  it("is not given for a trace seen before, nor for one without spans", () => {
    expect(deltaOf([spanEnded(CHILD)], 4).traces.get(TRACE)).toMatchObject({ isNew: false, spanStarted: false });
    expect(newTraceSummary(TRACE, deltaOf([traceStarted()]).traces.get(TRACE)!)).toBeUndefined();
  });
});
