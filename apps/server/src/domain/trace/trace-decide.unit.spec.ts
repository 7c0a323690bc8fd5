import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import {
  AnyValueSchema,
  KeyValueSchema,
  OrphanReason,
  SpanEndReason,
  SpanKind,
  SpanLinkSchema,
  StatusCode,
  TraceCompletionReason,
  TraceOrigin,
  type KeyValue,
  type SpanLink,
} from "@traceledger/proto";
import type { StartSpan } from "./trace-commands.js";
import type { TraceEventCase } from "./trace-event.js";
import { given, NOW, TRACE } from "../testing/trace-specification.js";
import {
  CHILD,
  GRANDCHILD,
  REMOTE_PARENT,
  ROOT,
  T0,
  addSpanEvent,
  attr,
  attributesUpdated,
  endSpan,
  errorOccurred,
  eventRecorded,
  ms,
  recordError,
  runningTrace,
  setSpanAttributes,
  spanEnded,
  spanStarted,
  startSpan,
  traceCompleted,
  traceStarted,
} from "../testing/trace-fixtures.js";
import { MAX_ATTRIBUTE_DEPTH } from "./span-validation.js";
import { bytesToHex, hexToBytes } from "./w3c-ids.js";

/**
 * SpanStarted as StartSpan writes it: the lifecycle API always knows whether the
 * parent is remote, so the flags carry OTLP's is-remote bits (Span.flags bits 8 and 9).
 */
const started = (spanId: string, fields: Parameters<typeof spanStarted>[1] = {}) =>
  spanStarted(spanId, { ...fields, flags: (fields.flags ?? 1) | 0x100 | (fields.parentIsRemote ? 0x200 : 0) });

describe("starting spans", () => {
  it("the first span of an unknown trace starts the trace", () => {
    const outcome = given([]).when(startSpan(ROOT)).then([traceStarted(), started(ROOT)]);
    expect(outcome).toMatchObject({ type: "SpanStarted", version: 2, traceStarted: true });
  });

  it("a span whose parent came from another system starts a trace of remote origin", () => {
    given([])
      .when(startSpan(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true, serviceName: "payments" }))
      .then([
        traceStarted({ origin: TraceOrigin.REMOTE_PARENT, service: "payments" }),
        started(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true, serviceName: "payments" }),
      ]);
  });

  it("a child of a span in the trace starts with a local parent", () => {
    given([traceStarted(), spanStarted(ROOT)])
      .when(startSpan(CHILD, { parentSpanId: ROOT }))
      .then([started(CHILD, { parentSpanId: ROOT })]);
  });

  it("a start time of zero means now", () => {
    given([]).when(startSpan(ROOT, { startTime: 0n })).then([traceStarted({ at: NOW }), started(ROOT, { startTime: NOW })]);
  });
});

describe("the span's flags (OTLP's Span.flags)", () => {
  it("say whether the parent is remote (bits 8 and 9), as the lifecycle API always knows; the traceparent's flags stay W3C's", () => {
    const flagsOf = (outcome: { events: { case: string; value: unknown }[] }) => outcome.events.flatMap((e) => (e.case === "spanStarted" ? [(e.value as { flags: number }).flags] : []));
    const root = given([]).when(startSpan(ROOT)).thenAccepted();
    expect(flagsOf(root)).toEqual([0x101]);
    expect(root.outcome).toMatchObject({ flags: 0x01 });
    expect(flagsOf(given([]).when(startSpan(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true, flags: 0 })).thenAccepted())).toEqual([0x300]);
    expect(flagsOf(given([traceStarted(), spanStarted(ROOT)]).when(startSpan(CHILD, { parentSpanId: ROOT, parentIsRemote: true })).thenAccepted())).toEqual([0x101]);
    // A retried start answers with the W3C flags it started with.
    expect(given([traceStarted(), started(ROOT)]).when(startSpan(ROOT)).then([])).toMatchObject({ flags: 0x01 });
  });

  it("take Level 2's random trace-id flag from the caller only where no local parent gives the flags", () => {
    const flagsOf = (outcome: { events: { case: string; value: unknown }[] }) => outcome.events.flatMap((e) => (e.case === "spanStarted" ? [(e.value as { flags: number }).flags & 0xff] : []));
    // Started without a traceparent: no flags of its own.
    const random = (spanId: string, fields: Partial<StartSpan> = {}): StartSpan => {
      const { flags, ...command } = startSpan(spanId, { ...fields, randomTraceId: true });
      return fields.flags === undefined ? command : { ...command, flags };
    };
    // A root, and a child of a remote parent named by id: sampled and random.
    expect(flagsOf(given([]).when(random(ROOT)).thenAccepted())).toEqual([0x03]);
    expect(flagsOf(given([]).when(random(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true })).thenAccepted())).toEqual([0x03]);
    // A local parent's flags win, the sampled bit with them: one trace, one random bit.
    expect(flagsOf(given([traceStarted(), spanStarted(ROOT, { flags: 0x00 })]).when(random(CHILD, { parentSpanId: ROOT })).thenAccepted())).toEqual([0x00]);
    expect(flagsOf(given([traceStarted(), spanStarted(ROOT, { flags: 0x01 })]).when(random(CHILD, { parentSpanId: ROOT })).thenAccepted())).toEqual([0x01]);
    // Flags a traceparent gave are the span's.
    expect(flagsOf(given([]).when(random(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true, flags: 0x01 })).thenAccepted())).toEqual([0x01]);
  });
});

describe("the resource is exempt from the attribute limits (OpenTelemetry: resource attributes SHOULD be)", () => {
  it("keeps every resource attribute, whole, and counts none of them as the span's", () => {
    const many = Array.from({ length: 130 }, (_, i) => attr(`r${i}`, "value"));
    const outcome = given([], { limits: { countLimit: 128, valueLengthLimit: 2 } })
      .when(startSpan(ROOT, { resourceAttributes: many }))
      .then([traceStarted(), started(ROOT, { resourceAttributes: many })]);
    expect(outcome).toMatchObject({ limited: 0 });
  });
});

describe("a span starts once", () => {
  it("a retried start is answered with the original outcome and decides nothing", () => {
    const outcome = given(runningTrace()).when(startSpan(CHILD, { parentSpanId: ROOT })).then([]);
    expect(outcome).toMatchObject({ type: "SpanStarted", version: 3, traceStarted: false });
  });

  it("a retried start that said 'now' is still recognised", () => {
    given(runningTrace()).when(startSpan(CHILD, { parentSpanId: ROOT, startTime: 0n })).then([]);
  });

  it("a retry of the trace's first span still reports that it started the trace", () => {
    const outcome = given([traceStarted(), spanStarted(ROOT)]).when(startSpan(ROOT)).then([]);
    expect(outcome).toMatchObject({ version: 2, traceStarted: true });
  });

  it("reusing a span id for different content is rejected", () => {
    given(runningTrace()).when(startSpan(CHILD, { parentSpanId: ROOT, name: "refund" })).thenRejected("SPAN_ID_REUSED");
    given(runningTrace()).when(startSpan(CHILD, { parentSpanId: ROOT, startTime: T0 + 1n })).thenRejected("SPAN_ID_REUSED");
    // The span id was derived from the client's request_id: it is the request id that was reused.
    given(runningTrace()).when(startSpan(CHILD, { parentSpanId: ROOT, name: "refund", requestId: "req-7" })).thenRejected("REQUEST_ID_REUSED");
  });

  it("a second root is rejected", () => {
    given(runningTrace()).when(startSpan(GRANDCHILD)).thenRejected("ROOT_SPAN_EXISTS");
  });

  it("a span id another service started is rejected, not answered as a retry of that start", () => {
    given(runningTrace()).when(startSpan(CHILD, { parentSpanId: ROOT, serviceName: "inventory" })).thenRejected("SPAN_ID_REUSED");
  });
});

describe("the parent belongs to the trace or is explicitly remote", () => {
  it("an unknown local parent is rejected", () => {
    given([traceStarted(), spanStarted(ROOT)]).when(startSpan(GRANDCHILD, { parentSpanId: CHILD })).thenRejected("PARENT_SPAN_NOT_FOUND");
  });

  it("an unknown parent marked remote is accepted as remote", () => {
    given([traceStarted(), spanStarted(ROOT)])
      .when(startSpan(GRANDCHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true }))
      .then([started(GRANDCHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true })]);
  });

  it("a parent marked remote that is in the trace is recorded as local", () => {
    given([traceStarted(), spanStarted(ROOT)])
      .when(startSpan(CHILD, { parentSpanId: ROOT, parentIsRemote: true }))
      .then([started(CHILD, { parentSpanId: ROOT, parentIsRemote: false })]);
  });

  it("a span cannot be its own parent", () => {
    given([]).when(startSpan(CHILD, { parentSpanId: CHILD, parentIsRemote: true })).thenRejected("INVALID_PARENT_SPAN_ID");
  });
});

describe("ids are valid W3C ids", () => {
  it.each([
    ["too short", "4bf92f3577b34da6a3ce929d0e0e473"],
    ["too long", "4bf92f3577b34da6a3ce929d0e0e47366"],
    ["uppercase", "4BF92F3577B34DA6A3CE929D0E0E4736"],
    ["not hex", "4bf92f3577b34da6a3ce929d0e0e473g"],
    ["all zero", "00000000000000000000000000000000"],
  ])("a trace id that is %s is rejected", (_, traceId) => {
    given([]).when(startSpan(ROOT, { traceId })).thenRejected("INVALID_TRACE_ID");
  });

  it.each([
    ["too short", "00f067aa0ba902b"],
    ["uppercase", "00F067AA0BA902B7"],
    ["all zero", "0000000000000000"],
  ])("a span id that is %s is rejected", (_, spanId) => {
    given([]).when(startSpan(spanId)).thenRejected("INVALID_SPAN_ID");
    given(runningTrace()).when(endSpan(spanId)).thenRejected("INVALID_SPAN_ID");
  });

  it("an invalid parent id is rejected", () => {
    given([]).when(startSpan(CHILD, { parentSpanId: "0000000000000000", parentIsRemote: true })).thenRejected("INVALID_PARENT_SPAN_ID");
  });
});

describe("a span ends once", () => {
  it("ending a running child ends it and leaves the trace open", () => {
    const outcome = given(runningTrace()).when(endSpan(CHILD)).then([spanEnded(CHILD)]);
    expect(outcome).toEqual({ type: "SpanEnded", version: 4, durationNano: ms(5), traceCompleted: false });
  });

  it("a retried end is answered with the original outcome and decides nothing", () => {
    const outcome = given([...runningTrace(), spanEnded(CHILD)]).when(endSpan(CHILD)).then([]);
    expect(outcome).toEqual({ type: "SpanEnded", version: 4, durationNano: ms(5), traceCompleted: false });
  });

  it("ending an ended span with another outcome is rejected", () => {
    given([...runningTrace(), spanEnded(CHILD)]).when(endSpan(CHILD, { statusCode: StatusCode.ERROR })).thenRejected("SPAN_ALREADY_ENDED");
    given([...runningTrace(), spanEnded(CHILD)]).when(endSpan(CHILD, { endTime: T0 + ms(9) })).thenRejected("SPAN_ALREADY_ENDED");
    given([...runningTrace(), spanEnded(CHILD)]).when(endSpan(CHILD, { statusMessage: "another story" })).thenRejected("SPAN_ALREADY_ENDED");
  });

  it("ending an unknown span is rejected, and so is ending in an unknown trace", () => {
    given(runningTrace()).when(endSpan(GRANDCHILD)).thenRejected("SPAN_NOT_FOUND");
    given([]).when(endSpan(ROOT)).thenRejected("TRACE_NOT_FOUND");
  });

  it("an end before the start is rejected", () => {
    given(runningTrace()).when(endSpan(CHILD, { endTime: T0 - 1n })).thenRejected("INVALID_TIME_RANGE");
  });

  it("an end of 'now' on a span that started ahead of the server's clock ends it at its start, not before it", () => {
    const ahead = NOW + ms(60_000);
    const outcome = given([...runningTrace(), spanStarted(GRANDCHILD, { parentSpanId: ROOT, startTime: ahead })])
      .when(endSpan(GRANDCHILD, { endTime: 0n }))
      .then([spanEnded(GRANDCHILD, { endTime: ahead })]);
    expect(outcome).toMatchObject({ durationNano: 0n, traceCompleted: false });
  });

  it("enum values the contract does not define are rejected; ORPHANED is traceledger's to give", () => {
    given([]).when(startSpan(ROOT, { kind: 99 as SpanKind })).thenRejected("INVALID_SPAN_KIND");
    given(runningTrace()).when(endSpan(CHILD, { statusCode: 99 as StatusCode })).thenRejected("INVALID_STATUS_CODE");
    given(runningTrace()).when(endSpan(CHILD, { endReason: SpanEndReason.ORPHANED })).thenRejected("INVALID_END_REASON");
    given(runningTrace()).when(endSpan(CHILD, { endReason: 7 as SpanEndReason })).thenRejected("INVALID_END_REASON");
    given([]).when(startSpan(ROOT, { kind: SpanKind.CONSUMER })).thenAccepted();
  });

  it("a time past what the log holds (int8 nanoseconds) is rejected, whatever the command", () => {
    const late = 1n << 63n;
    given([]).when(startSpan(ROOT, { startTime: late })).thenRejected("INVALID_TIME_RANGE");
    given(runningTrace()).when(endSpan(CHILD, { endTime: (1n << 64n) - 1n })).thenRejected("INVALID_TIME_RANGE");
    given(runningTrace()).when(addSpanEvent(CHILD, { time: late })).thenRejected("INVALID_TIME_RANGE");
    given(runningTrace()).when(recordError(CHILD, { time: late })).thenRejected("INVALID_TIME_RANGE");
    given(runningTrace()).when(endSpan(CHILD, { endTime: late - 1n })).thenAccepted();
  });

  it("a cancelled operation ends with the reason CANCELLED", () => {
    given(runningTrace())
      .when(endSpan(CHILD, { endReason: SpanEndReason.CANCELLED }))
      .then([spanEnded(CHILD, { endReason: SpanEndReason.CANCELLED })]);
  });
});

describe("links and attribute values", () => {
  const link = (traceId: Uint8Array, spanId: Uint8Array, fields: { tracestate?: string; attributes?: KeyValue[] } = {}): SpanLink => create(SpanLinkSchema, { traceId, spanId, ...fields });
  const TRACE_B = hexToBytes("0af7651916cd43dd8448eb211c80319c");
  const SPAN_B = hexToBytes("b7ad6b7169203331");

  it("a link to an invalid context (ids empty or zero) is recorded when it carries attributes or a tracestate, as OpenTelemetry records it", () => {
    const withAttributes = link(new Uint8Array(16), new Uint8Array(8), { attributes: [attr("messaging.message.id", "m-1")] });
    const withState = link(new Uint8Array(0), new Uint8Array(0), { tracestate: "vendor=1" });
    given([]).when(startSpan(ROOT, { links: [withAttributes, withState] })).thenAccepted();
    given([]).when(startSpan(ROOT, { links: [link(TRACE_B, SPAN_B)] })).thenAccepted();
  });

  it("a link naming nothing, or ids of other lengths, is refused", () => {
    given([]).when(startSpan(ROOT, { links: [link(new Uint8Array(16), new Uint8Array(8))] })).thenRejected("INVALID_SPAN_ID");
    given([]).when(startSpan(ROOT, { links: [link(new Uint8Array(5).fill(1), SPAN_B, { attributes: [attr("a", 1)] })] })).thenRejected("INVALID_SPAN_ID");
  });

  it("a link's dropped count, the client's plus what the limit drops, stays at most 2^32 - 1 (a uint32)", () => {
    const many = Array.from({ length: 130 }, (_, i) => attr(`k${i}`, "v"));
    const reported = create(SpanLinkSchema, { traceId: TRACE_B, spanId: SPAN_B, attributes: many, droppedAttributesCount: 0xffff_fffe });
    const started = given([]).when(startSpan(ROOT, { links: [reported] })).thenAccepted().events.find((e) => e.case === "spanStarted");
    const links = (started!.value as { links: SpanLink[] }).links;
    expect(links[0]).toMatchObject({ droppedAttributesCount: 0xffff_ffff });
    expect(links[0]!.attributes).toHaveLength(128);
  });

  it("a value nesting arrays and maps past the depth limit is refused, at any depth of the command", () => {
    const nested = (depth: number): KeyValue => {
      let value = create(AnyValueSchema, { value: { case: "stringValue", value: "bottom" } });
      for (let i = 1; i < depth; i++) value = create(AnyValueSchema, { value: { case: "arrayValue", value: { values: [value] } } });
      return create(KeyValueSchema, { key: "deep", value });
    };
    given([]).when(startSpan(ROOT, { attributes: [nested(MAX_ATTRIBUTE_DEPTH)] })).thenAccepted();
    given([]).when(startSpan(ROOT, { attributes: [nested(MAX_ATTRIBUTE_DEPTH + 1)] })).thenRejected("INVALID_ATTRIBUTE");
    given(runningTrace()).when(endSpan(CHILD, { attributes: [nested(5_000)] })).thenRejected("INVALID_ATTRIBUTE");
    given([]).when(startSpan(ROOT, { links: [link(TRACE_B, SPAN_B, { attributes: [nested(MAX_ATTRIBUTE_DEPTH + 1)] })] })).thenRejected("INVALID_ATTRIBUTE");
  });
});

describe("a span renamed as it ends", () => {
  it("an end with a new name records it on SpanEnded; the start keeps the name it had", () => {
    given(runningTrace())
      .when(endSpan(CHILD, { name: "charge card (visa)" }))
      .then([spanEnded(CHILD, { name: "charge card (visa)" })]);
  });

  it("an end that repeats the start's name, or gives none, records no new name", () => {
    given(runningTrace()).when(endSpan(CHILD, { name: "charge card" })).then([spanEnded(CHILD)]);
    given(runningTrace()).when(endSpan(CHILD, { name: "" })).then([spanEnded(CHILD)]);
  });

  it("a blank name is rejected and nothing is written", () => {
    given(runningTrace()).when(endSpan(CHILD, { name: "  \t" })).thenRejected("INVALID_SPAN_NAME");
  });

  it("a retried end must give the same final name", () => {
    const renamed = [...runningTrace(), spanEnded(CHILD, { name: "charge card (visa)" })];
    const outcome = given(renamed).when(endSpan(CHILD, { name: "charge card (visa)" })).then([]);
    expect(outcome).toEqual({ type: "SpanEnded", version: 4, durationNano: ms(5), traceCompleted: false });
    given(renamed).when(endSpan(CHILD, { name: "charge card (amex)" })).thenRejected("SPAN_ALREADY_ENDED");
    given(renamed).when(endSpan(CHILD)).thenRejected("SPAN_ALREADY_ENDED");
    // An end that kept the start's name is repeated by naming it, or by giving none.
    const kept = [...runningTrace(), spanEnded(CHILD)];
    given(kept).when(endSpan(CHILD, { name: "charge card" })).then([]);
    given(kept).when(endSpan(CHILD, { name: "charge card (visa)" })).thenRejected("SPAN_ALREADY_ENDED");
  });

  it("a retried start is still recognised by the name it started with", () => {
    given([...runningTrace(), spanEnded(CHILD, { name: "charge card (visa)" })])
      .when(startSpan(CHILD, { parentSpanId: ROOT }))
      .then([]);
  });
});

describe("no error, event or attribute on an unknown or ended span", () => {
  const ended = [...runningTrace(), spanEnded(CHILD)];

  it("accepts them on a running span", () => {
    given(runningTrace()).when(recordError(CHILD)).then([errorOccurred(CHILD)]);
    given(runningTrace()).when(addSpanEvent(CHILD)).then([eventRecorded(CHILD)]);
    given(runningTrace()).when(setSpanAttributes(CHILD)).then([attributesUpdated(CHILD)]);
  });

  it("rejects them on an ended span", () => {
    given(ended).when(recordError(CHILD)).thenRejected("SPAN_ALREADY_ENDED");
    given(ended).when(addSpanEvent(CHILD)).thenRejected("SPAN_ALREADY_ENDED");
    given(ended).when(setSpanAttributes(CHILD)).thenRejected("SPAN_ALREADY_ENDED");
  });

  it("rejects them on an unknown span", () => {
    given(runningTrace()).when(recordError(GRANDCHILD)).thenRejected("SPAN_NOT_FOUND");
    given(runningTrace()).when(addSpanEvent(GRANDCHILD)).thenRejected("SPAN_NOT_FOUND");
    given(runningTrace()).when(setSpanAttributes(GRANDCHILD)).thenRejected("SPAN_NOT_FOUND");
  });

  it("answers a retry of an accepted request even after the span ended", () => {
    const history = [...runningTrace(), errorOccurred(CHILD), eventRecorded(CHILD), attributesUpdated(CHILD), spanEnded(CHILD)];
    expect(given(history).when(recordError(CHILD)).then([])).toEqual({ type: "ErrorRecorded", errorId: "err-1", version: 4 });
    expect(given(history).when(addSpanEvent(CHILD)).then([])).toEqual({ type: "EventRecorded", eventId: "ev-1", version: 5 });
    expect(given(history).when(setSpanAttributes(CHILD)).then([])).toMatchObject({ type: "AttributesSet", updateId: "upd-1", version: 6 });
  });

  it("rejects a request id reused for a different request", () => {
    const history = [...runningTrace(), errorOccurred(CHILD), eventRecorded(CHILD), attributesUpdated(CHILD)];
    given(history).when(recordError(CHILD, { message: "other" })).thenRejected("REQUEST_ID_REUSED");
    given(history).when(addSpanEvent(CHILD, { name: "other" })).thenRejected("REQUEST_ID_REUSED");
    given(history).when(setSpanAttributes(CHILD, { attributes: [attr("other", 1)] })).thenRejected("REQUEST_ID_REUSED");
    // Other content beyond the name: a time, a stack, escaped, the attributes given.
    given(history).when(recordError(CHILD, { time: T0 + ms(7) })).thenRejected("REQUEST_ID_REUSED");
    given(history).when(recordError(CHILD, { stacktrace: "at elsewhere" })).thenRejected("REQUEST_ID_REUSED");
    given(history).when(recordError(CHILD, { escaped: true })).thenRejected("REQUEST_ID_REUSED");
    given(history).when(recordError(CHILD, { attributes: [attr("k", 1)] })).thenRejected("REQUEST_ID_REUSED");
    given(history).when(addSpanEvent(CHILD, { time: T0 + ms(7) })).thenRejected("REQUEST_ID_REUSED");
    given(history).when(addSpanEvent(CHILD, { attributes: [attr("k", 1)] })).thenRejected("REQUEST_ID_REUSED");
    // An attribute update must repeat its values, not only its keys.
    given(history).when(setSpanAttributes(CHILD, { attributes: [attr("order.id", "o-2")] })).thenRejected("REQUEST_ID_REUSED");
    expect(given(history).when(setSpanAttributes(CHILD, { attributes: [attr("order.id", "o-1")] })).then([])).toMatchObject({ type: "AttributesSet" });
    // A retry that leaves the time to the server ("now", 0) is the same request.
    given(history).when(recordError(CHILD, { time: 0n })).thenAccepted();
    given(history).when(addSpanEvent(CHILD, { time: 0n })).thenAccepted();
  });

  it("gives a request without an id a fresh one", () => {
    const { outcome } = given(runningTrace()).when(recordError(CHILD, { errorId: "" })).thenAccepted();
    expect(outcome).toMatchObject({ type: "ErrorRecorded", errorId: "generated-1" });
  });

  it("rejects an empty event name and an empty attribute update", () => {
    given(runningTrace()).when(addSpanEvent(CHILD, { name: " " })).thenRejected("INVALID_EVENT_NAME");
    given(runningTrace()).when(setSpanAttributes(CHILD, { attributes: [] })).thenRejected("EMPTY_ATTRIBUTES");
    given(runningTrace()).when(setSpanAttributes(CHILD, { attributes: [attr("", 1)] })).thenRejected("INVALID_ATTRIBUTE");
  });
});

describe("a completed trace accepts no new span", () => {
  const completed = [traceStarted(), spanStarted(ROOT), spanEnded(ROOT), traceCompleted({ spans: 1 })];

  it("rejects a new span", () => {
    given(completed).when(startSpan(CHILD, { parentSpanId: ROOT })).thenRejected("TRACE_COMPLETED");
  });

  it("still answers a retried start and a retried end", () => {
    given(completed).when(startSpan(ROOT)).then([]);
    // The original end answered version 4: its SpanEnded and the TraceCompleted it caused.
    expect(given(completed).when(endSpan(ROOT)).then([])).toEqual({ type: "SpanEnded", version: 4, durationNano: ms(5), traceCompleted: true });
  });
});

describe("TraceCompleted", () => {
  it("is emitted when the root ends and no span is open, with duration, span count and error count", () => {
    const history = [...runningTrace(), errorOccurred(CHILD), spanEnded(CHILD, { endTime: T0 + ms(3) })];
    const outcome = given(history)
      .when(endSpan(ROOT, { endTime: T0 + ms(8) }))
      .then([spanEnded(ROOT, { endTime: T0 + ms(8) }), traceCompleted({ end: T0 + ms(8), spans: 2, errors: 1 })]);
    expect(outcome).toMatchObject({ traceCompleted: true, version: 7 });
  });

  it("is emitted when the last child ends after the root", () => {
    given([...runningTrace(), spanEnded(ROOT, { endTime: T0 + ms(2) })])
      .when(endSpan(CHILD, { endTime: T0 + ms(9), statusCode: StatusCode.ERROR }))
      .then([spanEnded(CHILD, { endTime: T0 + ms(9), statusCode: StatusCode.ERROR }), traceCompleted({ end: T0 + ms(9), spans: 2, errors: 1 })]);
  });

  it("is not emitted while a span is still open", () => {
    given(runningTrace()).when(endSpan(ROOT)).then([spanEnded(ROOT)]);
  });

  it("ends at the latest end of its spans, not at the end of the span that completed it", () => {
    given([...runningTrace(), spanEnded(ROOT, { endTime: T0 + ms(8) })])
      .when(endSpan(CHILD, { endTime: T0 + ms(3) }))
      .then([spanEnded(CHILD, { endTime: T0 + ms(3) }), traceCompleted({ end: T0 + ms(8), spans: 2 })]);
  });

  it("counts spans with an error, not errors: a span that recorded one and ends with status ERROR counts once", () => {
    given([...runningTrace(), spanEnded(CHILD), errorOccurred(ROOT)])
      .when(endSpan(ROOT, { endTime: T0 + ms(8), statusCode: StatusCode.ERROR }))
      .then([spanEnded(ROOT, { endTime: T0 + ms(8), statusCode: StatusCode.ERROR }), traceCompleted({ end: T0 + ms(8), spans: 2, errors: 1 })]);
  });

  it("is not emitted for a trace that began in another system: the saga closes those", () => {
    const remote = [
      traceStarted({ origin: TraceOrigin.REMOTE_PARENT }),
      spanStarted(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true }),
    ];
    given(remote).when(endSpan(CHILD)).then([spanEnded(CHILD)]);
  });
});

describe("orphans and closing a trace (commands of the saga)", () => {
  it("closing a running span orphans it, and completes the trace when it was the last", () => {
    const history = [...runningTrace(), spanEnded(ROOT, { endTime: T0 + ms(2) })];
    const { events, outcome } = given(history, { now: T0 + ms(60_000) })
      .when({ type: "CloseOrphanedSpan", traceId: TRACE, spanId: CHILD, reason: "timeout" })
      .thenAccepted();
    expect(events.map((e) => e.case)).toEqual(["spanOrphaned", "traceCompleted"]);
    const orphaned = events[0]!.value as { reason: OrphanReason; openDurationNano: bigint; spanId: Uint8Array };
    expect(bytesToHex(orphaned.spanId)).toBe(CHILD);
    expect(orphaned.reason).toBe(OrphanReason.TIMEOUT);
    expect(orphaned.openDurationNano).toBe(ms(60_000));
    expect(events[1]!.value).toMatchObject({ spanCount: 2, orphanedSpanCount: 1, reason: TraceCompletionReason.ROOT_ENDED });
    expect(outcome).toEqual({ type: "SpanClosed", version: 6, alreadyEnded: false });
  });

  it("a trace whose root was closed as an orphan completes as TIMED_OUT, whichever span is last", () => {
    const closeAt = { now: T0 + ms(60_000) };
    const orphan = (history: TraceEventCase[], spanId: string) =>
      given(history, closeAt).when({ type: "CloseOrphanedSpan", traceId: TRACE, spanId, reason: "timeout" }).thenAccepted().events;
    // The child first, then the root: the root's close completes the trace.
    const childClosed = [...runningTrace(), ...orphan(runningTrace(), CHILD)];
    const rootLast = orphan(childClosed, ROOT);
    expect(rootLast.map((e) => e.case)).toEqual(["spanOrphaned", "traceCompleted"]);
    expect(rootLast[1]!.value).toMatchObject({ orphanedSpanCount: 2, reason: TraceCompletionReason.TIMED_OUT });
    // The root first, then the child ends by itself: still the root's timeout that closed the trace.
    const rootClosed = [...runningTrace(), ...orphan(runningTrace(), ROOT)];
    const { events } = given(rootClosed).when(endSpan(CHILD)).thenAccepted();
    expect(events.map((e) => e.case)).toEqual(["spanEnded", "traceCompleted"]);
    expect(events[1]!.value).toMatchObject({ orphanedSpanCount: 1, reason: TraceCompletionReason.TIMED_OUT });
  });

  it("a span closed as an orphan refuses its late end and errors, saying it was closed as an orphan, when and after how long", () => {
    // A long job: its span ran past the orphan timeout (5 min) with an error recorded on the way.
    const closedAt = T0 + ms(300_000);
    const beforeClose = [...runningTrace(), errorOccurred(CHILD)];
    const closed = given(beforeClose, { now: closedAt }).when({ type: "CloseOrphanedSpan", traceId: TRACE, spanId: CHILD, reason: "timeout" }).thenAccepted().events;
    const history = [...beforeClose, ...closed];
    const late = [
      endSpan(CHILD, { endTime: 0n, statusCode: StatusCode.ERROR, statusMessage: "export failed" }),
      recordError(CHILD, { errorId: "err-2", time: 0n }),
      addSpanEvent(CHILD),
      setSpanAttributes(CHILD),
    ];
    for (const command of late) {
      const error = given(history, { now: closedAt + ms(60_000) }).when(command).thenRejected("SPAN_ALREADY_ENDED");
      expect(error.kind).toBe("failed_precondition");
      expect(error.message).toBe(
        `span ${CHILD} was closed as an orphan at 2025-11-24T16:04:59.990Z after 300 s open without an end (MONITORING_ORPHAN_TIMEOUT_MS); it takes no later end, error, event or attribute, so nothing was recorded`,
      );
      expect(error.metadata).toEqual({ trace_id: TRACE, span_id: CHILD, end_reason: "SPAN_END_REASON_ORPHANED", end_time_unix_nano: String(closedAt), open_duration_nano: String(ms(300_000)) });
    }
    // Closed because its trace was closed, not by the timeout: the message says so.
    const closedWithTrace = given(beforeClose, { now: closedAt }).when({ type: "CloseOrphanedSpan", traceId: TRACE, spanId: CHILD, reason: "trace_closed" }).thenAccepted().events;
    expect(given([...beforeClose, ...closedWithTrace], { now: closedAt + ms(60_000) }).when(late[0]!).thenRejected("SPAN_ALREADY_ENDED").message).toBe(
      `span ${CHILD} was closed as an orphan at 2025-11-24T16:04:59.990Z after 300 s open when its trace was closed; it takes no later end, error, event or attribute, so nothing was recorded`,
    );
    // The error it took before the close is still answered as first, when retried.
    expect(given(history).when(recordError(CHILD)).then([])).toMatchObject({ type: "ErrorRecorded", errorId: "err-1", version: 4 });
    // A span that ended by itself keeps the plain answer.
    expect(given([...runningTrace(), spanEnded(CHILD)]).when(addSpanEvent(CHILD)).thenRejected("SPAN_ALREADY_ENDED").metadata).toEqual({ trace_id: TRACE, span_id: CHILD });
  });

  it("closing a span that already ended changes nothing", () => {
    given([...runningTrace(), spanEnded(CHILD)])
      .when({ type: "CloseOrphanedSpan", traceId: TRACE, spanId: CHILD, reason: "timeout" })
      .then([]);
  });

  /** A trace begun elsewhere whose one span ran from T0 to T0 + 5 ms: version 3, nothing running. */
  const idleRemoteTrace = () => [
    traceStarted({ origin: TraceOrigin.REMOTE_PARENT }),
    spanStarted(CHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true }),
    spanEnded(CHILD, { endTime: T0 + ms(5) }),
  ];

  it("closing an idle trace at the version the saga judged completes it as timed out", () => {
    const { events, outcome } = given(idleRemoteTrace(), { now: T0 + ms(60_000) })
      .when({ type: "CloseTrace", traceId: TRACE, expectedVersion: 3 })
      .thenAccepted();
    expect(events.map((e) => e.case)).toEqual(["traceCompleted"]);
    expect(events[0]!.value).toMatchObject({ spanCount: 1, orphanedSpanCount: 0, reason: TraceCompletionReason.TIMED_OUT, durationNano: ms(5) });
    expect(outcome).toEqual({ type: "TraceClosed", version: 4, alreadyCompleted: false, movedOn: false });
  });

  it("closing a trace that moved past the version the saga judged (a span started since) does nothing", () => {
    const history = [...idleRemoteTrace(), spanStarted(GRANDCHILD, { parentSpanId: CHILD })];
    const outcome = given(history, { now: T0 + ms(60_000) })
      .when({ type: "CloseTrace", traceId: TRACE, expectedVersion: 3 })
      .then([]);
    expect(outcome).toEqual({ type: "TraceClosed", version: 4, alreadyCompleted: false, movedOn: true });
  });

  it("closing a trace never ends a span still running in it: only CloseOrphanedSpan orphans", () => {
    const outcome = given(runningTrace(), { now: T0 + ms(100) })
      .when({ type: "CloseTrace", traceId: TRACE, expectedVersion: 3 })
      .then([]);
    expect(outcome).toEqual({ type: "TraceClosed", version: 3, alreadyCompleted: false, movedOn: true });
  });

  it("closing a trace already completed changes nothing", () => {
    const history = [...idleRemoteTrace(), traceCompleted({ end: T0 + ms(5), spans: 1 })];
    const outcome = given(history).when({ type: "CloseTrace", traceId: TRACE, expectedVersion: 3 }).then([]);
    expect(outcome).toEqual({ type: "TraceClosed", version: 4, alreadyCompleted: true, movedOn: false });
  });
});

describe("a bad request is refused as such before the trace is looked at (AIP-193)", () => {
  it("is INVALID_ARGUMENT on a span or trace that does not exist, not NOT_FOUND", () => {
    const emptyKey = [attr("", "x")];
    given([]).when(endSpan(CHILD, { statusCode: 99 as never })).thenRejected("INVALID_STATUS_CODE");
    given(runningTrace()).when(endSpan(GRANDCHILD, { attributes: emptyKey })).thenRejected("INVALID_ATTRIBUTE");
    given(runningTrace()).when(recordError(GRANDCHILD, { attributes: emptyKey })).thenRejected("INVALID_ATTRIBUTE");
    given(runningTrace()).when(addSpanEvent(GRANDCHILD, { attributes: emptyKey })).thenRejected("INVALID_ATTRIBUTE");
    given(runningTrace()).when(setSpanAttributes(GRANDCHILD, { attributes: emptyKey })).thenRejected("INVALID_ATTRIBUTE");
    // A well-formed request on a span that does not exist is still NOT_FOUND.
    given(runningTrace()).when(endSpan(GRANDCHILD)).thenRejected("SPAN_NOT_FOUND");
  });
});

describe("a span's events, errors and links are bounded (OTEL_SPAN_EVENT_COUNT_LIMIT, OTEL_SPAN_LINK_COUNT_LIMIT)", () => {
  const limits = { eventCountLimit: 2, linkCountLimit: 2 };
  const twoEvents = () => [...runningTrace(), eventRecorded(CHILD, { eventId: "e1" }), eventRecorded(CHILD, { eventId: "e2" })];

  it("a running span full of events refuses another, writing nothing, and names the limit", () => {
    const error = given(twoEvents(), { limits }).when(addSpanEvent(CHILD, { eventId: "e3" })).thenRejected("SPAN_EVENT_LIMIT_REACHED");
    expect(error.kind).toBe("failed_precondition");
    expect(error.metadata).toEqual({ trace_id: TRACE, span_id: CHILD, limit: "2" });
  });

  it("a retry of an event it took is still answered with its version", () => {
    const outcome = given(twoEvents(), { limits }).when(addSpanEvent(CHILD, { eventId: "e2" })).then([]);
    expect(outcome).toMatchObject({ type: "EventRecorded", eventId: "e2", version: runningTrace().length + 2 });
  });

  it("errors have a limit of their own: a span full of events still takes an error, and a span full of errors refuses one", () => {
    given(twoEvents(), { limits }).when(recordError(CHILD, { errorId: "x1" })).then([errorOccurred(CHILD, { errorId: "x1" })]);
    const twoErrors = [...runningTrace(), errorOccurred(CHILD, { errorId: "x1" }), errorOccurred(CHILD, { errorId: "x2" })];
    given(twoErrors, { limits }).when(recordError(CHILD, { errorId: "x3" })).thenRejected("SPAN_ERROR_LIMIT_REACHED");
    given(twoErrors, { limits }).when(addSpanEvent(CHILD, { eventId: "e1" })).then([eventRecorded(CHILD, { eventId: "e1" })]);
  });

  it("with events limited to 0 a span still takes one error: that it failed is not dropped", () => {
    const none = { eventCountLimit: 0, linkCountLimit: 0 };
    given(runningTrace(), { limits: none }).when(addSpanEvent(CHILD, { eventId: "e1" })).thenRejected("SPAN_EVENT_LIMIT_REACHED");
    given(runningTrace(), { limits: none }).when(recordError(CHILD, { errorId: "x1" })).then([errorOccurred(CHILD, { errorId: "x1" })]);
    const error = given([...runningTrace(), errorOccurred(CHILD, { errorId: "x1" })], { limits: none })
      .when(recordError(CHILD, { errorId: "x2" }))
      .thenRejected("SPAN_ERROR_LIMIT_REACHED");
    expect(error.metadata).toMatchObject({ limit: "1" });
  });

  it("other spans of the trace keep their own room", () => {
    given(twoEvents(), { limits }).when(addSpanEvent(ROOT, { eventId: "e3" })).then([eventRecorded(ROOT, { eventId: "e3" })]);
  });

  it("a bad request or an ended span is reported before the limit", () => {
    given(twoEvents(), { limits }).when(addSpanEvent(CHILD, { eventId: "e3", name: " " })).thenRejected("INVALID_EVENT_NAME");
    given([...twoEvents(), spanEnded(CHILD)], { limits }).when(addSpanEvent(CHILD, { eventId: "e3" })).thenRejected("SPAN_ALREADY_ENDED");
  });

  it("a start keeps its first links and counts the rest as dropped", () => {
    const link = (n: number): SpanLink => create(SpanLinkSchema, { traceId: hexToBytes("0af7651916cd43dd8448eb211c80319c"), spanId: new Uint8Array(8).fill(n) });
    const links = [link(1), link(2), link(3), link(4)];
    given([], { limits })
      .when(startSpan(ROOT, { links }))
      .then([traceStarted(), started(ROOT, { links: links.slice(0, 2), droppedLinks: 2 })]);
  });
});
