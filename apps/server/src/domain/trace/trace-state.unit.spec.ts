// The fold (evolveTrace): what the state keeps of the events it is given, checked
// through the decisions that read it.

import { describe, expect, it } from "vitest";
import { given, TRACE } from "../testing/trace-specification.js";
import {
  CHILD,
  GRANDCHILD,
  ROOT,
  T0,
  addSpanEvent,
  attr,
  endSpan,
  ms,
  recordError,
  runningTrace,
  spanEnded,
  spanStarted,
  startSpan,
  traceCompleted,
  traceStarted,
} from "../testing/trace-fixtures.js";
import { foldTrace } from "./trace-state.js";

describe("the time the trace covers (TraceCompleted's start and end)", () => {
  it("starts at the earliest start of any span: a span whose clock put it before the root lowers it", () => {
    const history = [
      traceStarted({ at: T0 + ms(1) }),
      spanStarted(ROOT, { startTime: T0 + ms(1) }),
      spanStarted(CHILD, { parentSpanId: ROOT, startTime: T0 }),
      spanEnded(CHILD, { endTime: T0 + ms(2) }),
    ];
    expect(foldTrace(TRACE, history).startTime).toBe(T0);
    given(history)
      .when(endSpan(ROOT, { endTime: T0 + ms(3) }))
      .then([spanEnded(ROOT, { endTime: T0 + ms(3) }), traceCompleted({ start: T0, end: T0 + ms(3), spans: 2 })]);
  });

  it("ends at the latest end of any span, whatever order the ends were logged in", () => {
    // The child ended at 9 ms; the grandchild, logged after it, at 2 ms.
    const history = [...runningTrace(), spanStarted(GRANDCHILD, { parentSpanId: ROOT }), spanEnded(CHILD, { endTime: T0 + ms(9) }), spanEnded(GRANDCHILD, { endTime: T0 + ms(2) })];
    expect(foldTrace(TRACE, history).endTime).toBe(T0 + ms(9));
    given(history)
      .when(endSpan(ROOT, { endTime: T0 + ms(5) }))
      .then([spanEnded(ROOT, { endTime: T0 + ms(5) }), traceCompleted({ end: T0 + ms(9), spans: 3 })]);
  });
});

describe("a retried error or event is recognised by the attributes it gave, kept or dropped", () => {
  // Two past the count limit (128): the event keeps 128 and counts 2 as dropped.
  const many = Array.from({ length: 130 }, (_, i) => attr(`k${i}`, "v"));

  it("an error whose attributes passed the count limit, retried, is answered as the retry it is", () => {
    const first = given(runningTrace()).when(recordError(CHILD, { attributes: many })).thenAccepted().events;
    expect(first[0]!.value).toMatchObject({ droppedAttributesCount: 2 });
    const recorded = [...runningTrace(), ...first];
    expect(given(recorded).when(recordError(CHILD, { attributes: many })).then([])).toEqual({ type: "ErrorRecorded", errorId: "err-1", version: 4 });
    // Only the attributes it kept, sent again, are another request.
    given(recorded).when(recordError(CHILD, { attributes: many.slice(0, 128) })).thenRejected("REQUEST_ID_REUSED");
  });

  it("an event whose attributes passed the count limit, retried, is answered as the retry it is", () => {
    const first = given(runningTrace()).when(addSpanEvent(CHILD, { attributes: many })).thenAccepted().events;
    expect(first[0]!.value).toMatchObject({ droppedAttributesCount: 2 });
    const recorded = [...runningTrace(), ...first];
    expect(given(recorded).when(addSpanEvent(CHILD, { attributes: many })).then([])).toEqual({ type: "EventRecorded", eventId: "ev-1", version: 4 });
    given(recorded).when(addSpanEvent(CHILD, { attributes: many.slice(0, 128) })).thenRejected("REQUEST_ID_REUSED");
  });
});

describe("the limited-attribute counts a retry is answered with (a uint32 in the answer)", () => {
  it("stay at most 2^32 - 1 when an OTLP reporter's dropped count fills it and values were shortened too", () => {
    const reported = [...runningTrace(), spanStarted(GRANDCHILD, { parentSpanId: ROOT, dropped: 0xffff_ffff, truncated: 1 })];
    expect(given(reported).when(startSpan(GRANDCHILD, { parentSpanId: ROOT })).then([])).toMatchObject({ limited: 0xffff_ffff });
  });
});
