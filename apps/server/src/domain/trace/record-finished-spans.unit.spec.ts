import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { SpanLinkSchema, StatusCode, TraceCompletionReason, TraceOrigin } from "@traceledger/proto";
import { given, TRACE } from "../testing/trace-specification.js";
import {
  CHILD,
  GRANDCHILD,
  REMOTE_PARENT,
  ROOT,
  T0,
  attr,
  errorOccurred,
  eventRecorded,
  finishedError,
  finishedEvent,
  finishedSpan,
  ms,
  recordFinished,
  runningTrace,
  spanEnded,
  spanStarted,
  startSpan,
  traceCompleted,
  traceStarted,
} from "../testing/trace-fixtures.js";
import { foldTrace } from "./trace-state.js";
import { hexToBytes } from "./w3c-ids.js";

const otlpStarted = (fields: { service?: string; at?: bigint } = {}) => traceStarted({ origin: TraceOrigin.OTLP, ...fields });
const child = (fields = {}) => finishedSpan(CHILD, { parentSpanId: ROOT, ...fields });

describe("a finished span becomes the lifecycle's events", () => {
  it("a finished root starts, ends and completes a new trace", () => {
    const outcome = given([])
      .when(recordFinished(finishedSpan(ROOT)))
      .then([otlpStarted(), spanStarted(ROOT), spanEnded(ROOT), traceCompleted({ spans: 1 })]);
    expect(outcome).toEqual({ type: "FinishedSpansRecorded", version: 4, recorded: 1, duplicates: 0, rejected: [], traceCompleted: true });
  });

  it("its events and exceptions are recorded between its start and its end, in the order reported", () => {
    given([])
      .when(recordFinished(finishedSpan(ROOT, { events: [finishedEvent("otlp-0"), finishedError("otlp-1", { stacktrace: "at pay()" })], statusCode: StatusCode.ERROR })))
      .then([
        otlpStarted(),
        spanStarted(ROOT),
        eventRecorded(ROOT, { eventId: "otlp-0" }),
        errorOccurred(ROOT, { errorId: "otlp-1", stacktrace: "at pay()" }),
        spanEnded(ROOT, { statusCode: StatusCode.ERROR }),
        traceCompleted({ spans: 1, errors: 1 }),
      ]);
  });

  it("the reporter's own dropped attributes are counted with ours", () => {
    const attributes = [attr("a", 1), attr("b", 2), attr("c", 3)];
    const { events } = given([], { limits: { countLimit: 2, valueLengthLimit: Infinity } })
      .when(recordFinished(finishedSpan(ROOT, { attributes, droppedAttributesCount: 4 })))
      .thenAccepted();
    expect(events[1]!.value).toMatchObject({ droppedAttributesCount: 5, attributes: attributes.slice(0, 2) });
  });
});

describe("what the reporter dropped", () => {
  it("its counts of dropped events and links are kept on the span's start", () => {
    given([])
      .when(recordFinished(finishedSpan(ROOT, { droppedEventsCount: 3, droppedLinksCount: 128 })))
      .then([otlpStarted(), spanStarted(ROOT, { droppedEvents: 3, droppedLinks: 128 }), spanEnded(ROOT), traceCompleted({ spans: 1 })]);
  });

  it("past the span limits, the first events, errors and links are kept and the rest counted with the reporter's drops", () => {
    const link = (n: number) => create(SpanLinkSchema, { traceId: hexToBytes("0af7651916cd43dd8448eb211c80319c"), spanId: new Uint8Array(8).fill(n) });
    const links = [link(1), link(2), link(3)];
    const reported = [finishedEvent("e1"), finishedError("x1"), finishedEvent("e2"), finishedEvent("e3"), finishedError("x2"), finishedError("x3"), finishedEvent("e4")];
    given([], { limits: { eventCountLimit: 2, linkCountLimit: 1 } })
      .when(recordFinished(finishedSpan(ROOT, { events: reported, links, droppedEventsCount: 1, droppedLinksCount: 5, statusCode: StatusCode.ERROR })))
      .then([
        otlpStarted(),
        spanStarted(ROOT, { links: links.slice(0, 1), droppedEvents: 1 + 2 + 1, droppedLinks: 5 + 2 }),
        eventRecorded(ROOT, { eventId: "e1" }),
        errorOccurred(ROOT, { errorId: "x1" }),
        eventRecorded(ROOT, { eventId: "e2" }),
        errorOccurred(ROOT, { errorId: "x2" }),
        spanEnded(ROOT, { statusCode: StatusCode.ERROR }),
        traceCompleted({ spans: 1, errors: 1 }),
      ]);
  });

  it("a link's attributes go through the same limits as the span's, what is dropped added to the link's own count", () => {
    const reported = create(SpanLinkSchema, {
      traceId: hexToBytes("0af7651916cd43dd8448eb211c80319c"),
      spanId: new Uint8Array(8).fill(1),
      attributes: [attr("a", "long value"), attr("b", "ok"), attr("c", "dropped"), attr("d", "dropped")],
      droppedAttributesCount: 3,
    });
    const untouched = create(SpanLinkSchema, { traceId: hexToBytes("0af7651916cd43dd8448eb211c80319c"), spanId: new Uint8Array(8).fill(2), attributes: [attr("e", "ok")] });
    const { events } = given([], { limits: { countLimit: 2, valueLengthLimit: 4 } })
      .when(recordFinished(finishedSpan(ROOT, { links: [reported, untouched] })))
      .thenAccepted();
    const [link, other] = (events[1]!.value as { links: Array<typeof reported> }).links;
    expect(link!.attributes).toEqual([attr("a", "long"), attr("b", "ok")]);
    expect(link!.droppedAttributesCount).toBe(3 + 2);
    expect(other).toBe(untouched);
  });

  it("a running span ended by its report takes the report's events whole (its start is stored: no drop could be counted)", () => {
    const reported = [finishedEvent("e1"), finishedEvent("e2"), finishedEvent("e3")];
    given(runningTrace(), { limits: { eventCountLimit: 1 } })
      .when(recordFinished(child({ events: reported })))
      .then([eventRecorded(CHILD, { eventId: "e1" }), eventRecorded(CHILD, { eventId: "e2" }), eventRecorded(CHILD, { eventId: "e3" }), spanEnded(CHILD)]);
  });
});

describe("where the span came from", () => {
  const provenance = {
    scopeVersion: "2.1.0",
    scopeAttributes: [attr("library.flavour", "vanilla")],
    scopeDroppedAttributesCount: 2,
    scopeSchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
    resourceSchemaUrl: "https://opentelemetry.io/schemas/1.24.0",
    resourceDroppedAttributesCount: 5,
  };

  it("the scope's version and attributes, the schema URLs and the resource's dropped count are kept on the span's start", () => {
    given([])
      .when(recordFinished(finishedSpan(ROOT, { provenance })))
      .then([otlpStarted(), spanStarted(ROOT, { provenance }), spanEnded(ROOT), traceCompleted({ spans: 1 })]);
  });

  it("a reporter's count near 2^32 plus ours stays at 2^32 - 1 rather than wrap", () => {
    const max = 0xffff_ffff;
    const many = Array.from({ length: 129 }, (_, i) => attr(`k${i}`, i));
    given([])
      .when(recordFinished(finishedSpan(ROOT, { attributes: many, droppedAttributesCount: max, provenance: { ...provenance, scopeAttributes: many, scopeDroppedAttributesCount: max } })))
      .then([
        otlpStarted(),
        spanStarted(ROOT, { attributes: many.slice(0, 128), dropped: max, provenance: { ...provenance, scopeAttributes: many.slice(0, 128), scopeDroppedAttributesCount: max } }),
        spanEnded(ROOT),
        traceCompleted({ spans: 1 }),
      ]);
  });

  it("a scope value past the length limit is shortened, not counted as dropped", () => {
    given([], { limits: { countLimit: 128, valueLengthLimit: 4 } })
      .when(recordFinished(finishedSpan(ROOT, { provenance: { ...provenance, scopeAttributes: [attr("library.flavour", "vanilla")] } })))
      .then([otlpStarted(), spanStarted(ROOT, { provenance: { ...provenance, scopeAttributes: [attr("library.flavour", "vani")] } }), spanEnded(ROOT), traceCompleted({ spans: 1 })]);
  });

  it("scope attributes past the count limit are dropped and counted with the reporter's", () => {
    const many = Array.from({ length: 130 }, (_, i) => attr(`k${i}`, i));
    given([])
      .when(recordFinished(finishedSpan(ROOT, { provenance: { ...provenance, scopeAttributes: many } })))
      .then([otlpStarted(), spanStarted(ROOT, { provenance: { ...provenance, scopeAttributes: many.slice(0, 128), scopeDroppedAttributesCount: 4 } }), spanEnded(ROOT), traceCompleted({ spans: 1 })]);
  });
});

describe("the resource is exempt from the attribute limits (OpenTelemetry: resource attributes SHOULD be)", () => {
  it("keeps every resource attribute, whole, and counts none of them on the span", () => {
    const many = Array.from({ length: 130 }, (_, i) => attr(`r${i}`, "value"));
    const provenance = { scopeVersion: "", scopeAttributes: [], scopeDroppedAttributesCount: 0, scopeSchemaUrl: "", resourceSchemaUrl: "", resourceDroppedAttributesCount: 1 };
    given([], { limits: { countLimit: 128, valueLengthLimit: 2 } })
      .when(recordFinished(finishedSpan(ROOT, { resourceAttributes: many, attributes: [attr("a", "b")], provenance })))
      .then([otlpStarted(), spanStarted(ROOT, { resourceAttributes: many, attributes: [attr("a", "b")], provenance }), spanEnded(ROOT), traceCompleted({ spans: 1 })]);
  });
});

describe("Span.flags", () => {
  it("are stored as reported, the is-remote bits too, and left unset when the reporter left them unset", () => {
    const { events } = given([])
      .when(recordFinished(finishedSpan(ROOT, { flags: 0x01 }), child({ flags: 0x01 }), finishedSpan(GRANDCHILD, { parentSpanId: REMOTE_PARENT, flags: 0x301, parentIsRemote: true })))
      .thenAccepted();
    const flags = events.flatMap((e) => (e.case === "spanStarted" ? [e.value.flags] : []));
    expect(flags).toEqual([0x01, 0x01, 0x301]);
  });
});

describe("parents and children arrive in any order", () => {
  it("a child reported before its parent in one batch is recorded after it, with a local parent", () => {
    given([])
      .when(recordFinished(child(), finishedSpan(ROOT)))
      .then([otlpStarted(), spanStarted(ROOT), spanEnded(ROOT), spanStarted(CHILD, { parentSpanId: ROOT }), spanEnded(CHILD), traceCompleted({ spans: 2 })]);
  });

  it.each([6, 40])("a chain of %i spans reported deepest first is recorded root first; siblings keep the order reported", (depth) => {
    const id = (k: number) => (k + 1).toString(16).padStart(16, "0");
    const chain = Array.from({ length: depth }, (_, k) => finishedSpan(id(k), { parentSpanId: k === 0 ? "" : id(k - 1) })).reverse();
    const siblings = [finishedSpan(id(1000), { parentSpanId: id(0) }), finishedSpan(id(999), { parentSpanId: id(0) })];
    const { events } = given([])
      .when(recordFinished(...siblings, ...chain))
      .thenAccepted();
    const started = events.filter((e) => e.case === "spanStarted").map((e) => Buffer.from(e.value.spanId).toString("hex"));
    expect(started).toEqual([id(0), id(1000), id(999), ...Array.from({ length: depth - 1 }, (_, k) => id(k + 1))]);
  });

  it("a child whose parent is not in the trace is recorded with a remote parent; without a root the trace stays open", () => {
    given([])
      .when(recordFinished(child()))
      .then([otlpStarted({ service: "payments" }), spanStarted(CHILD, { parentSpanId: ROOT, parentIsRemote: true }), spanEnded(CHILD)]);
  });

  it("the root arriving later completes the trace", () => {
    const history = [otlpStarted({ service: "payments" }), spanStarted(CHILD, { parentSpanId: ROOT, parentIsRemote: true }), spanEnded(CHILD)];
    given(history)
      .when(recordFinished(finishedSpan(ROOT, { endTime: T0 + ms(9) })))
      .then([spanStarted(ROOT), spanEnded(ROOT, { endTime: T0 + ms(9) }), traceCompleted({ spans: 2, end: T0 + ms(9) })]);
  });

  it("the reporter's word that the parent is local is kept while the parent has not arrived", () => {
    given([otlpStarted()])
      .when(recordFinished(child({ parentIsRemote: false })))
      .then([spanStarted(CHILD, { parentSpanId: ROOT, parentIsRemote: false }), spanEnded(CHILD)]);
  });

  it("the reporter's word that the parent is remote is kept even when the parent is in the trace", () => {
    given([traceStarted(), spanStarted(ROOT)])
      .when(recordFinished(child({ parentIsRemote: true })))
      .then([spanStarted(CHILD, { parentSpanId: ROOT, parentIsRemote: true }), spanEnded(CHILD)]);
  });

  it("a second root is rejected, the rest of the batch is recorded", () => {
    const { outcome, events } = given([])
      .when(recordFinished(finishedSpan(ROOT), finishedSpan(GRANDCHILD)))
      .thenAccepted();
    expect(events.map((e) => e.case)).toEqual(["traceStarted", "spanStarted", "spanEnded", "traceCompleted"]);
    expect(outcome).toMatchObject({ recorded: 1, rejected: [{ spanId: GRANDCHILD, error: { reason: "ROOT_SPAN_EXISTS" } }] });
  });
});

describe("joining the lifecycle API", () => {
  it("a finished child of a running lifecycle span joins it with a local parent", () => {
    given([traceStarted(), spanStarted(ROOT)]).when(recordFinished(child())).then([spanStarted(CHILD, { parentSpanId: ROOT }), spanEnded(CHILD)]);
  });

  it("a running lifecycle span reported finished is ended by the report, with what it did not record yet", () => {
    const history = [traceStarted(), spanStarted(ROOT), eventRecorded(ROOT, { eventId: "otlp-0" })];
    given(history)
      .when(recordFinished(finishedSpan(ROOT, { events: [finishedEvent("otlp-0"), finishedEvent("otlp-1", { name: "retry" })] })))
      .then([eventRecorded(ROOT, { eventId: "otlp-1", name: "retry" }), spanEnded(ROOT), traceCompleted({ spans: 1 })]);
  });

  it("a trace completes only once every lifecycle span has ended", () => {
    given(runningTrace()).when(recordFinished(finishedSpan(ROOT))).then([spanEnded(ROOT)]);
  });

  it("a running lifecycle span that recorded an error, ended by a report with status ERROR, is one span with an error", () => {
    given([traceStarted(), spanStarted(ROOT), errorOccurred(ROOT)])
      .when(recordFinished(finishedSpan(ROOT, { statusCode: StatusCode.ERROR })))
      .then([spanEnded(ROOT, { statusCode: StatusCode.ERROR }), traceCompleted({ spans: 1, errors: 1 })]);
  });

  it("a report under another name renames the running lifecycle span as it ends it", () => {
    given(runningTrace())
      .when(recordFinished(finishedSpan(ROOT, { name: "POST /checkout/{cart}" })))
      .then([spanEnded(ROOT, { name: "POST /checkout/{cart}" })]);
  });

  it("a span renamed by its end is reported again under its final name, not the one it started with", () => {
    const renamed = [...runningTrace(), spanEnded(ROOT, { name: "POST /checkout/{cart}" })];
    const again = given(renamed).when(recordFinished(finishedSpan(ROOT, { name: "POST /checkout/{cart}" }))).then([]);
    expect(again).toMatchObject({ recorded: 0, duplicates: 1, rejected: [] });
    const first = given(renamed).when(recordFinished(finishedSpan(ROOT))).thenAccepted();
    expect(first.outcome).toMatchObject({ rejected: [{ error: { reason: "SPAN_ID_REUSED" } }] });
  });
});

describe("a span reported twice is stored once", () => {
  const recorded = [otlpStarted(), spanStarted(ROOT), spanEnded(ROOT), traceCompleted({ spans: 1 })];

  it("the same span again writes nothing", () => {
    const outcome = given(recorded).when(recordFinished(finishedSpan(ROOT))).then([]);
    expect(outcome).toMatchObject({ recorded: 0, duplicates: 1, rejected: [], traceCompleted: false });
  });

  it("the same span twice in one batch is recorded once", () => {
    given([])
      .when(recordFinished(finishedSpan(ROOT), finishedSpan(ROOT)))
      .then([otlpStarted(), spanStarted(ROOT), spanEnded(ROOT), traceCompleted({ spans: 1 })]);
  });

  it("the same ids with another outcome or other content are rejected", () => {
    const other = given(recorded).when(recordFinished(finishedSpan(ROOT, { statusCode: StatusCode.ERROR }))).thenAccepted();
    expect(other.outcome).toMatchObject({ rejected: [{ error: { reason: "SPAN_ALREADY_ENDED" } }] });
    const reused = given(recorded).when(recordFinished(finishedSpan(ROOT, { name: "GET /other" }))).thenAccepted();
    expect(reused.outcome).toMatchObject({ rejected: [{ error: { reason: "SPAN_ID_REUSED" } }] });
    expect([...other.events, ...reused.events]).toEqual([]);
  });
});

describe("a completed trace takes finished spans as late arrivals", () => {
  const completed = [traceStarted(), spanStarted(ROOT), spanEnded(ROOT), traceCompleted({ spans: 1 })];

  it("records the late span and restates the completion with the new counts", () => {
    const outcome = given(completed)
      .when(recordFinished(child({ startTime: T0 + ms(1), endTime: T0 + ms(30), statusCode: StatusCode.ERROR })))
      .then([
        spanStarted(CHILD, { parentSpanId: ROOT, startTime: T0 + ms(1) }),
        spanEnded(CHILD, { endTime: T0 + ms(30), statusCode: StatusCode.ERROR }),
        traceCompleted({ spans: 2, errors: 1, end: T0 + ms(30), late: 1 }),
      ]);
    expect(outcome).toMatchObject({ recorded: 1, traceCompleted: true });
  });

  it("keeps the original reason and counts every late span", () => {
    const timedOut = [traceStarted(), spanStarted(ROOT), spanEnded(ROOT), traceCompleted({ spans: 1, reason: TraceCompletionReason.TIMED_OUT })];
    const late = [...timedOut, spanStarted(CHILD, { parentSpanId: ROOT }), spanEnded(CHILD), traceCompleted({ spans: 2, late: 1, reason: TraceCompletionReason.TIMED_OUT })];
    given(late)
      .when(recordFinished(finishedSpan(GRANDCHILD, { parentSpanId: CHILD })))
      .then([
        spanStarted(GRANDCHILD, { parentSpanId: CHILD }),
        spanEnded(GRANDCHILD),
        traceCompleted({ spans: 3, late: 2, reason: TraceCompletionReason.TIMED_OUT }),
      ]);
  });

  it("a late span reported again writes nothing", () => {
    const late = [...completed, spanStarted(CHILD, { parentSpanId: ROOT }), spanEnded(CHILD), traceCompleted({ spans: 2, late: 1 })];
    given(late).when(recordFinished(child())).then([]);
  });

  it("the restated completion leaves when and why it completed, and counts the late spans", () => {
    const state = foldTrace(TRACE, [...completed, spanStarted(CHILD, { parentSpanId: ROOT }), spanEnded(CHILD), traceCompleted({ spans: 2, late: 1 })]);
    expect(state).toMatchObject({ status: "completed", completedAtVersion: 4, completionReason: TraceCompletionReason.ROOT_ENDED, lateSpanCount: 1 });
  });

  it("a trace whose root was closed as an orphan completes as TIMED_OUT when its last span is reported", () => {
    const rootClosed = given(runningTrace(), { now: T0 + ms(60_000) }).when({ type: "CloseOrphanedSpan", traceId: TRACE, spanId: ROOT, reason: "timeout" }).thenAccepted().events;
    const { events } = given([...runningTrace(), ...rootClosed]).when(recordFinished(child({ endTime: T0 + ms(70_000) }))).thenAccepted();
    expect(events.map((e) => e.case)).toEqual(["spanEnded", "traceCompleted"]);
    expect(events[1]!.value).toMatchObject({ orphanedSpanCount: 1, reason: TraceCompletionReason.TIMED_OUT });
  });

  it("a trace without a local root, closed by the saga, completes again for its late spans, keeping its reason", () => {
    // Begun in a service that does not report here: the saga closed it at its timeout.
    const closed = [otlpStarted({ service: "payments" }), spanStarted(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true }), spanEnded(CHILD), traceCompleted({ spans: 1, reason: TraceCompletionReason.TIMED_OUT })];
    const late = finishedSpan(GRANDCHILD, { parentSpanId: REMOTE_PARENT, startTime: T0 + ms(1), endTime: T0 + ms(30) });
    const outcome = given(closed)
      .when(recordFinished(late))
      .then([
        spanStarted(GRANDCHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true, startTime: T0 + ms(1) }),
        spanEnded(GRANDCHILD, { endTime: T0 + ms(30) }),
        traceCompleted({ spans: 2, end: T0 + ms(30), late: 1, reason: TraceCompletionReason.TIMED_OUT }),
      ]);
    expect(outcome).toMatchObject({ recorded: 1, traceCompleted: true });
    // And once more for the next late batch, counting every late span.
    const restated = [...closed, spanStarted(GRANDCHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true, startTime: T0 + ms(1) }), spanEnded(GRANDCHILD, { endTime: T0 + ms(30) }), traceCompleted({ spans: 2, end: T0 + ms(30), late: 1, reason: TraceCompletionReason.TIMED_OUT })];
    given(restated)
      .when(recordFinished(finishedSpan(ROOT, { parentSpanId: CHILD, startTime: T0 + ms(2), endTime: T0 + ms(3) })))
      .then([
        spanStarted(ROOT, { parentSpanId: CHILD, startTime: T0 + ms(2) }),
        spanEnded(ROOT, { endTime: T0 + ms(3) }),
        traceCompleted({ spans: 3, end: T0 + ms(30), late: 2, reason: TraceCompletionReason.TIMED_OUT }),
      ]);
    // A re-report of a late span writes nothing, not even a completion.
    given(restated).when(recordFinished(late)).then([]);
  });

  it("a trace without a local root that is not completed yet stays open for the saga", () => {
    given([otlpStarted({ service: "payments" }), spanStarted(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true }), spanEnded(CHILD)])
      .when(recordFinished(finishedSpan(GRANDCHILD, { parentSpanId: CHILD })))
      .then([spanStarted(GRANDCHILD, { parentSpanId: CHILD }), spanEnded(GRANDCHILD)]);
  });

  it("while the lifecycle API still refuses a new span there", () => {
    given(completed).when(startSpan(CHILD, { parentSpanId: ROOT })).thenRejected("TRACE_COMPLETED");
  });
});

describe("invalid spans are rejected one by one", () => {
  it("each bad span gets its reason; the good ones are recorded", () => {
    const { events, outcome } = given([])
      .when(
        recordFinished(
          finishedSpan("00000000000000zz", { parentSpanId: ROOT }),
          finishedSpan(GRANDCHILD, { parentSpanId: ROOT, endTime: T0 - 1n }),
          finishedSpan(REMOTE_PARENT, { parentSpanId: ROOT, startTime: 0n, endTime: 0n }),
          finishedSpan("1111111111111111", { parentSpanId: ROOT, name: " " }),
          finishedSpan("2222222222222222", { parentSpanId: ROOT, attributes: [attr("", 1)] }),
          finishedSpan("3333333333333333", { parentSpanId: ROOT, events: [finishedEvent("otlp-0", { name: "" })] }),
          finishedSpan("4444444444444444", { parentSpanId: "4444444444444444" }),
          finishedSpan("5555555555555555", { parentSpanId: ROOT, endTime: 1n << 63n }),
          finishedSpan("6666666666666666", { parentSpanId: ROOT, events: [finishedEvent("otlp-0", { time: (1n << 64n) - 1n })] }),
          child(),
        ),
      )
      .thenAccepted();
    expect(events.map((e) => e.case)).toEqual(["traceStarted", "spanStarted", "spanEnded"]);
    expect(outcome).toMatchObject({ recorded: 1, duplicates: 0 });
    expect(outcome.type === "FinishedSpansRecorded" && outcome.rejected.map((r) => r.error.reason)).toEqual([
      "INVALID_SPAN_ID",
      "INVALID_TIME_RANGE",
      "INVALID_TIME_RANGE",
      "INVALID_SPAN_NAME",
      "INVALID_ATTRIBUTE",
      "INVALID_EVENT_NAME",
      "INVALID_PARENT_SPAN_ID",
      "INVALID_TIME_RANGE",
      "INVALID_TIME_RANGE",
    ]);
  });

  it("a resource with a bad attribute rejects each of its spans, each by its own id; spans of a good resource are recorded", () => {
    const bad = [attr("", 1)];
    const good = [attr("host.name", "web-1")];
    const { outcome } = given([])
      .when(recordFinished(finishedSpan(ROOT, { resourceAttributes: good }), child({ resourceAttributes: bad }), finishedSpan(GRANDCHILD, { parentSpanId: CHILD, resourceAttributes: bad }), finishedSpan(REMOTE_PARENT, { parentSpanId: ROOT, resourceAttributes: good })))
      .thenAccepted();
    expect(outcome).toMatchObject({ recorded: 2 });
    expect(outcome.type === "FinishedSpansRecorded" && outcome.rejected.map((r) => [r.spanId, r.error.reason])).toEqual([
      [CHILD, "INVALID_ATTRIBUTE"],
      [GRANDCHILD, "INVALID_ATTRIBUTE"],
    ]);
  });

  it("a batch of only bad spans writes nothing, not even the trace's start", () => {
    given([]).when(recordFinished(finishedSpan(ROOT, { endTime: T0 - 1n }))).then([]);
  });

  it("a span that ends as it starts (zero duration) is not a bad time range", () => {
    given([])
      .when(recordFinished(finishedSpan(ROOT, { endTime: T0 })))
      .then([otlpStarted(), spanStarted(ROOT), spanEnded(ROOT, { endTime: T0 }), traceCompleted({ spans: 1, end: T0 })]);
  });

  it("a bad trace id rejects the whole command", () => {
    given([])
      .when({ ...recordFinished(finishedSpan(ROOT)), traceId: "00000000000000000000000000000000" })
      .thenRejected("INVALID_TRACE_ID");
  });
});
