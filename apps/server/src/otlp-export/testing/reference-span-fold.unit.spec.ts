// The reference mapping (stored events -> OTLP spans), and what each completion of a trace sends.

import { create } from "@bufbuild/protobuf";
import { OrphanReason, SpanEndReason, SpanKind, SpanLinkSchema, SpanOrphanedSchema, StatusCode } from "@traceledger/proto";
import { OtlpSpanKind, OtlpStatusCode } from "@traceledger/proto/otlp";
import { describe, expect, it } from "vitest";
import {
  attr,
  attributesUpdated,
  CHILD,
  errorOccurred,
  eventRecorded,
  GRANDCHILD,
  ms,
  REMOTE_PARENT,
  ROOT,
  spanEnded,
  spanStarted,
  T0,
  traceCompleted,
  traceStarted,
} from "../../domain/testing/trace-fixtures.js";
import { TRACE } from "../../domain/testing/trace-specification.js";
import type { TraceEventCase } from "../../domain/trace/trace-event.js";
import { bytesToHex, hexToBytes } from "../../domain/trace/w3c-ids.js";
import { buildExportRequests } from "./reference-export-requests.js";
import { OtlpSpanFold, type FoldedSpan } from "./reference-span-fold.js";
import type { TailSamplingPolicy } from "../tail-sampling.js";
import { selectForExport } from "../trace-export-selection.js";

const LATE = "1111222233334444";
const keepAll: TailSamplingPolicy = { rate: 1, keepErrors: true, slowTraceMs: 0 };
const keepErrorsOnly: TailSamplingPolicy = { rate: 0, keepErrors: true, slowTraceMs: 0 };

function fold(events: readonly TraceEventCase[]): OtlpSpanFold {
  const f = new OtlpSpanFold();
  events.forEach((event, i) => f.apply(i + 1, event));
  return f;
}

const ids = (spans: readonly FoldedSpan[]) => spans.map((s) => bytesToHex(s.span.spanId));

/** A completed trace (versions 1-8), then a late span that restates the completion (the last version). */
function traceWithLateSpan(lateError: boolean): TraceEventCase[] {
  return [
    traceStarted(),
    spanStarted(ROOT, { attributes: [attr("http.method", "POST"), attr("retries", 1)], flags: 1 }),
    spanStarted(CHILD, { parentSpanId: ROOT, kind: SpanKind.CLIENT, startTime: T0 + ms(1) }),
    attributesUpdated(CHILD, { attributes: [attr("retries", 2), attr("card", "visa")] }),
    eventRecorded(CHILD, { eventId: "e1", name: "cache.miss", time: T0 + ms(2), attributes: [attr("key", "k1")] }),
    spanEnded(CHILD, { endTime: T0 + ms(3), statusCode: StatusCode.OK }),
    spanEnded(ROOT, { endTime: T0 + ms(5), attributes: [attr("http.status_code", 200)] }),
    traceCompleted({ spans: 2 }),
    // (version 8 is the completion; 9 onwards arrive late)
    spanStarted(LATE, { parentSpanId: ROOT, startTime: T0 + ms(4), serviceName: "mailer" }),
    ...(lateError ? [errorOccurred(LATE, { errorId: "x", errorType: "SmtpError", message: "refused", time: T0 + ms(4) })] : []),
    spanEnded(LATE, { endTime: T0 + ms(6), statusCode: lateError ? StatusCode.ERROR : StatusCode.UNSPECIFIED }),
    traceCompleted({ spans: 3, late: 1, errors: lateError ? 1 : 0, end: T0 + ms(6) }),
  ];
}

describe("OtlpSpanFold", () => {
  it("builds each span with its ids, parent, kind, times, attributes, events and status", () => {
    const spans = fold(traceWithLateSpan(false)).spans();
    expect(ids(spans)).toEqual([ROOT, CHILD, LATE]);
    const [root, child] = spans.map((s) => s.span);
    expect(bytesToHex(root!.traceId)).toBe(TRACE);
    expect(root!.parentSpanId).toHaveLength(0);
    expect(bytesToHex(child!.parentSpanId)).toBe(ROOT);
    expect(child!.kind).toBe(OtlpSpanKind.CLIENT);
    expect(root!.kind).toBe(OtlpSpanKind.SERVER);
    expect([child!.startTimeUnixNano, child!.endTimeUnixNano]).toEqual([T0 + ms(1), T0 + ms(3)]);
    expect(child!.status).toMatchObject({ code: OtlpStatusCode.OK });
    // Start attributes, then updates in first-set order with the later value winning, then end attributes.
    expect(root!.attributes.map((kv) => kv.key)).toEqual(["http.method", "retries", "http.status_code"]);
    expect(child!.attributes.map((kv) => [kv.key, kv.value?.value.value])).toEqual([
      ["retries", 2n],
      ["card", "visa"],
    ]);
    expect(child!.events).toHaveLength(1);
    expect(child!.events[0]).toMatchObject({ name: "cache.miss", timeUnixNano: T0 + ms(2) });
    expect(child!.events[0]!.attributes[0]).toMatchObject({ key: "key", value: { value: { case: "stringValue", value: "k1" } } });
    expect(spans.map((s) => s.endVersion)).toEqual([7, 6, 10]);
  });

  it("sends the stored flags: the W3C flags and OTLP's is-remote bits where they were set, and no others", () => {
    const spans = fold([
      traceStarted(),
      spanStarted(ROOT, { parentSpanId: REMOTE_PARENT, parentIsRemote: true, flags: 0x301 }),
      spanStarted(CHILD, { parentSpanId: ROOT, flags: 0x100 }),
      // An OTLP span whose reporter did not say whether the parent is remote.
      spanStarted(GRANDCHILD, { parentSpanId: REMOTE_PARENT, parentIsRemote: true, flags: 0x01 }),
      spanStarted("00000000000000a1", { parentSpanId: ROOT, flags: 0xfffff001 }),
    ]).spans();
    expect(spans.map((s) => s.span.flags)).toEqual([0x301, 0x100, 0x01, 0x001]);
  });

  it("turns a recorded error into an OpenTelemetry exception event beside the other events", () => {
    const spans = fold([
      traceStarted(),
      spanStarted(ROOT),
      eventRecorded(ROOT, { eventId: "e", name: "retry", time: T0 + ms(1) }),
      errorOccurred(ROOT, { errorId: "a", errorType: "TypeError", message: "x is undefined", stacktrace: "at f()", escaped: true, time: T0 + ms(2), attributes: [attr("exception.message", "ignored"), attr("user", "u1")] }),
      spanEnded(ROOT, { statusCode: StatusCode.ERROR, statusMessage: "boom" }),
    ]).spans();
    const span = spans[0]!.span;
    expect(span.events.map((e) => e.name)).toEqual(["retry", "exception"]);
    expect(span.events[1]!.attributes.map((kv) => [kv.key, kv.value?.value.value])).toEqual([
      ["exception.type", "TypeError"],
      ["exception.message", "x is undefined"],
      ["exception.stacktrace", "at f()"],
      ["exception.escaped", true],
      ["user", "u1"],
    ]);
    expect(span.status).toMatchObject({ code: OtlpStatusCode.ERROR, message: "boom" });
  });

  it("keeps a cancelled or orphaned span's status and says why it stopped in an attribute", () => {
    const orphaned: TraceEventCase = {
      case: "spanOrphaned",
      value: create(SpanOrphanedSchema, { traceId: hexToBytes(TRACE), spanId: hexToBytes(CHILD), closedTimeUnixNano: T0 + ms(9), reason: OrphanReason.TIMEOUT }),
    };
    const spans = fold([traceStarted(), spanStarted(ROOT), spanStarted(CHILD, { parentSpanId: ROOT }), orphaned, spanEnded(ROOT, { endReason: SpanEndReason.CANCELLED })]).spans();
    const attrs = (s: FoldedSpan) => Object.fromEntries(s.span.attributes.map((kv) => [kv.key, kv.value?.value.value]));
    expect(attrs(spans[0]!)).toMatchObject({ "traceledger.span.end_reason": "cancelled" });
    expect(attrs(spans[1]!)).toMatchObject({ "traceledger.span.end_reason": "orphaned", "traceledger.span.orphan_reason": "timeout" });
    expect(spans[1]!.span.endTimeUnixNano).toBe(T0 + ms(9));
    expect(spans[1]!.endVersion).toBe(4);
  });

  it("carries links with their attributes and flags", () => {
    const link = create(SpanLinkSchema, { traceId: hexToBytes("0af7651916cd43dd8448eb211c80319c"), spanId: hexToBytes(GRANDCHILD), tracestate: "k=v", flags: 1, attributes: [attr("why", "batch")] });
    const span = fold([traceStarted(), spanStarted(ROOT, { links: [link] })]).spans()[0]!.span;
    expect(span.links).toHaveLength(1);
    expect(span.links[0]).toMatchObject({ traceState: "k=v", flags: 1, attributes: [{ key: "why" }] });
    expect(bytesToHex(span.links[0]!.spanId)).toBe(GRANDCHILD);
  });
});

describe("what a completion sends", () => {
  it("sends every span at the first completion and only the late ones at a restated one", () => {
    const events = traceWithLateSpan(false);
    expect(ids(selectForExport(fold(events.slice(0, 8)), 8, keepAll).spans)).toEqual([ROOT, CHILD]);
    expect(ids(selectForExport(fold(events), events.length, keepAll).spans)).toEqual([LATE]);
  });

  it("sends the whole trace at a restated completion that first makes it worth keeping", () => {
    const events = traceWithLateSpan(true);
    expect(selectForExport(fold(events.slice(0, 8)), 8, keepErrorsOnly)).toEqual({ decision: "dropped", spans: [] });
    const restated = selectForExport(fold(events), events.length, keepErrorsOnly);
    expect(restated.decision).toBe("error");
    expect(ids(restated.spans)).toEqual([ROOT, CHILD, LATE]);
  });

  it("refuses a version that is not a completion", () => {
    expect(() => selectForExport(fold(traceWithLateSpan(false)), 7, keepAll)).toThrow(/no completion at version 7/);
  });
});

describe("buildExportRequests", () => {
  it("groups spans by resource (service.name first) and scope, at most maxSpans per request", () => {
    const events = [
      traceStarted(),
      spanStarted(ROOT, { resourceAttributes: [attr("host.name", "h1"), attr("service.name", "ignored")] }),
      spanStarted(CHILD, { parentSpanId: ROOT, scopeName: "@acme/http" }),
      spanStarted(GRANDCHILD, { parentSpanId: CHILD, serviceName: "checkout", resourceAttributes: [attr("host.name", "h1")] }),
      spanStarted(LATE, { parentSpanId: CHILD }),
    ];
    const spans = fold(events).spans();
    const [first, second] = buildExportRequests(spans, 3);
    expect(first!.resourceSpans.map((r) => r.resource!.attributes.map((kv) => `${kv.key}=${String(kv.value?.value.value)}`))).toEqual([
      ["service.name=checkout", "host.name=h1"],
      ["service.name=payments"],
    ]);
    expect(first!.resourceSpans[0]!.scopeSpans.map((s) => [s.scope!.name, ids(s.spans.map((span) => ({ span }) as FoldedSpan))])).toEqual([["traceledger", [ROOT, GRANDCHILD]]]);
    expect(first!.resourceSpans[1]!.scopeSpans.map((s) => s.scope!.name)).toEqual(["@acme/http"]);
    expect(second!.resourceSpans).toHaveLength(1);
    expect(second!.resourceSpans[0]!.scopeSpans[0]!.spans).toHaveLength(1);
  });
});
