// The exporter's transcoder (stored event bytes -> request bytes) held to the
// reference mapping written with protobuf-es messages, on seeded random traces
// with every kind of event, attribute value, link, status and end.

import { create, fromBinary, toJson } from "@bufbuild/protobuf";
import {
  AnyValueSchema,
  KeyValueSchema,
  OrphanReason,
  SpanEndedSchema,
  SpanEndReason,
  SpanKind,
  SpanLinkSchema,
  SpanOrphanedSchema,
  StatusCode,
  type AnyValue,
  type KeyValue,
} from "@traceledger/proto";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { describe, expect, it } from "vitest";
import { attributesUpdated, errorOccurred, eventRecorded, spanStarted, traceCompleted, traceStarted } from "../domain/testing/trace-fixtures.js";
import { TRACE } from "../domain/testing/trace-specification.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import { encodeTraceEvent } from "../events/trace-event-codec.js";
import { seededRandom } from "../domain/testing/seeded-random.js";
import { writeExportRequests } from "./otlp-request-writer.js";
import { OtlpSpanTranscoder } from "./otlp-span-transcoder.js";
import { buildExportRequests } from "./testing/reference-export-requests.js";
import { OtlpSpanFold } from "./testing/reference-span-fold.js";

function randomTrace(random: () => number): TraceEventCase[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (n: number) => Math.floor(random() * n);
  const hex = (bytes: number) => Array.from({ length: bytes }, () => (1 + int(255)).toString(16).padStart(2, "0")).join("");
  const keys = ["http.route", "retries", "ratio", "ok", "tags", "nested", "blob", "exception.message", "naïve ✓", "service.name", "k"];
  const value = (depth = 0): AnyValue => {
    const kinds = depth > 1 ? ["s", "b", "i", "d", "x"] : ["s", "b", "i", "d", "x", "a", "m"];
    switch (pick(kinds)) {
      case "s":
        return create(AnyValueSchema, { value: { case: "stringValue", value: pick(["", "GET /x", "日本語", "a".repeat(int(300))]) } });
      case "b":
        return create(AnyValueSchema, { value: { case: "boolValue", value: random() < 0.5 } });
      case "i":
        return create(AnyValueSchema, { value: { case: "intValue", value: BigInt(int(2 ** 31)) * (random() < 0.3 ? -1n : 1n) * 4096n } });
      case "d":
        return create(AnyValueSchema, { value: { case: "doubleValue", value: (random() - 0.5) * 1e6 } });
      case "x":
        return create(AnyValueSchema, { value: { case: "bytesValue", value: hexToBytes(hex(int(5))) } });
      case "a":
        return create(AnyValueSchema, { value: { case: "arrayValue", value: { values: Array.from({ length: int(4) }, () => value(depth + 1)) } } });
      default:
        return create(AnyValueSchema, { value: { case: "kvlistValue", value: { values: Array.from({ length: int(3) }, () => create(KeyValueSchema, { key: pick(keys), value: value(depth + 1) })) } } });
    }
  };
  const attrs = (n: number): KeyValue[] => Array.from({ length: int(n) }, () => create(KeyValueSchema, { key: pick(keys), value: value() }));
  const spans: string[] = [];
  const ended = new Set<string>();
  const events: TraceEventCase[] = [traceStarted()];
  const t0 = 1_764_000_000_000_000_000n;
  // A few provenances shared by many spans, differing in one part each: each must make its own scope or resource.
  const scopeAttributes = attrs(2);
  const provenances = [
    undefined,
    { scopeVersion: "1.2.0", scopeAttributes: [], scopeDroppedAttributesCount: 0, scopeSchemaUrl: "", resourceSchemaUrl: "", resourceDroppedAttributesCount: 0 },
    { scopeVersion: "1.3.0", scopeAttributes, scopeDroppedAttributesCount: 2, scopeSchemaUrl: "https://opentelemetry.io/schemas/1.26.0", resourceSchemaUrl: "", resourceDroppedAttributesCount: 0 },
    { scopeVersion: "1.3.0", scopeAttributes, scopeDroppedAttributesCount: 2, scopeSchemaUrl: "https://opentelemetry.io/schemas/1.26.0", resourceSchemaUrl: "https://opentelemetry.io/schemas/1.24.0", resourceDroppedAttributesCount: 5 },
  ];
  for (let step = 0; step < 20 + int(40); step++) {
    const roll = random();
    const open = spans.filter((s) => !ended.has(s));
    if (roll < 0.3 || open.length === 0) {
      const spanId = hex(8);
      events.push(
        spanStarted(spanId, {
          parentSpanId: spans.length > 0 && random() < 0.8 ? pick(spans) : random() < 0.5 ? hex(8) : "",
          parentIsRemote: random() < 0.2,
          name: pick(["", "op", "POST /checkout", "naïve ✓ op"]),
          kind: pick([SpanKind.UNSPECIFIED, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL, SpanKind.CONSUMER]),
          serviceName: pick(["", "checkout", "payments"]),
          startTime: random() < 0.1 ? 0n : t0 + BigInt(int(1e9)),
          attributes: attrs(5),
          resourceAttributes: attrs(3),
          tracestate: random() < 0.3 ? "vendor=a,b=c" : "",
          links: Array.from({ length: int(3) }, () => create(SpanLinkSchema, { traceId: hexToBytes(hex(16)), spanId: hexToBytes(hex(8)), tracestate: random() < 0.5 ? "x=y" : "", flags: int(2), attributes: attrs(2), droppedAttributesCount: int(2) })),
          flags: pick([int(256), int(256) | 0x100, int(256) | 0x300, int(256) | 0x200]),
          scopeName: pick(["", "", "@acme/http", "io.opentelemetry.jdbc"]),
          dropped: int(3),
          droppedEvents: pick([0, 0, 4, 300]),
          droppedLinks: pick([0, 0, 1, 128]),
          provenance: pick(provenances),
        }),
      );
      spans.push(spanId);
    } else if (roll < 0.45) {
      events.push(attributesUpdated(pick(open), { updateId: `u${step}`, attributes: attrs(4) }));
    } else if (roll < 0.6) {
      events.push(eventRecorded(pick(open), { eventId: `e${step}`, name: pick(["", "retry", "cache.miss"]), time: random() < 0.1 ? 0n : t0 + BigInt(int(1e9)), attributes: attrs(3) }));
    } else if (roll < 0.7) {
      events.push(
        errorOccurred(pick(open), {
          errorId: `x${step}`,
          errorType: pick(["", "TypeError"]),
          message: pick(["", "boom", "déjà vu"]),
          stacktrace: pick(["", "at f (a.js:1)"]),
          escaped: random() < 0.5,
          attributes: attrs(3),
        }),
      );
    } else if (roll < 0.9) {
      const spanId = pick(open);
      ended.add(spanId);
      events.push({
        case: "spanEnded",
        value: create(SpanEndedSchema, {
          traceId: hexToBytes(TRACE),
          spanId: hexToBytes(spanId),
          endTimeUnixNano: t0 + BigInt(int(2e9)),
          ...(random() < 0.8 ? { status: { code: pick([StatusCode.UNSPECIFIED, StatusCode.OK, StatusCode.ERROR]), message: pick(["", "declined"]) } } : {}),
          endReason: pick([SpanEndReason.UNSPECIFIED, SpanEndReason.COMPLETED, SpanEndReason.CANCELLED]),
          attributes: attrs(3),
          droppedAttributesCount: int(2),
          name: pick(["", "", "GET /orders/{id}", "renamed ✓"]),
        }),
      });
    } else {
      const spanId = pick(open);
      ended.add(spanId);
      events.push({
        case: "spanOrphaned",
        value: create(SpanOrphanedSchema, { traceId: hexToBytes(TRACE), spanId: hexToBytes(spanId), closedTimeUnixNano: t0 + BigInt(int(2e9)), reason: pick([OrphanReason.UNSPECIFIED, OrphanReason.TIMEOUT, OrphanReason.TRACE_CLOSED]) }),
      });
    }
  }
  // An event for a span the trace does not have: both sides ignore it.
  events.push(eventRecorded("0123456789abcdef", { eventId: "stray" }));
  events.push(traceCompleted({ spans: spans.length }));
  return events;
}

/** The events read by the reference mapping (as decoded messages) and by the transcoder (as stored bytes). */
function foldBoth(events: readonly TraceEventCase[]): { reference: OtlpSpanFold; transcoder: OtlpSpanTranscoder } {
  const reference = new OtlpSpanFold();
  const transcoder = new OtlpSpanTranscoder();
  events.forEach((event, i) => {
    reference.apply(i + 1, event);
    const { type, payload } = encodeTraceEvent(event);
    transcoder.apply(i + 1, type, payload);
  });
  return { reference, transcoder };
}

describe("OtlpSpanTranscoder and writeExportRequests", () => {
  for (let seed = 1; seed <= 60; seed++) {
    it(`write what the reference mapping builds (random trace ${seed})`, () => {
      const random = seededRandom(seed);
      const events = randomTrace(random);
      const { reference, transcoder } = foldBoth(events);
      const maxSpans = 1 + Math.floor(random() * 12);
      const expected = buildExportRequests(reference.spans(), maxSpans).map((r) => toJson(ExportTraceServiceRequestSchema, r));
      const written = writeExportRequests(transcoder.spans(), maxSpans);
      const actual = written.map((r) => toJson(ExportTraceServiceRequestSchema, fromBinary(ExportTraceServiceRequestSchema, r.bytes)));
      expect(actual).toEqual(expected);
      expect(written.map((r) => r.spanCount)).toEqual(buildExportRequests(reference.spans(), maxSpans).map((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)).length));
      expect(transcoder.spans().map((s) => s.endVersion)).toEqual(reference.spans().map((s) => s.endVersion));
      expect(transcoder.completions).toEqual(reference.completions);
    });
  }

  it("keeps scopes and resources apart whose parts differ only in where a U+0000 falls", () => {
    const provenance = (scopeVersion: string, resourceSchemaUrl: string) => ({ scopeVersion, scopeAttributes: [], scopeDroppedAttributesCount: 0, scopeSchemaUrl: "", resourceSchemaUrl, resourceDroppedAttributesCount: 0 });
    const events = [
      traceStarted(),
      spanStarted("00000000000000a1", { serviceName: "s", scopeName: "lib\u0000x", provenance: provenance("1", "") }),
      spanStarted("00000000000000a2", { serviceName: "s", scopeName: "lib", provenance: provenance("x\u00001", "") }),
      spanStarted("00000000000000a3", { serviceName: "s\u0000u", scopeName: "lib", provenance: provenance("", "v") }),
      spanStarted("00000000000000a4", { serviceName: "s", scopeName: "lib", provenance: provenance("", "u\u0000v") }),
      // A bare name spelled as another scope's whole key once was.
      spanStarted("00000000000000a5", { serviceName: "s", scopeName: "3:lib3:x\u000010:1:0" }),
    ];
    const { reference, transcoder } = foldBoth(events);
    const [written] = writeExportRequests(transcoder.spans(), 10);
    const request = fromBinary(ExportTraceServiceRequestSchema, written!.bytes);
    expect(toJson(ExportTraceServiceRequestSchema, request)).toEqual(toJson(ExportTraceServiceRequestSchema, buildExportRequests(reference.spans(), 10)[0]!));
    expect(request.resourceSpans.flatMap((r) => r.scopeSpans)).toHaveLength(5);
  });

  it("splits a batch over the byte limit into requests within it, losing no span", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const transcoder = new OtlpSpanTranscoder();
      randomTrace(random).forEach((event, i) => {
        const { type, payload } = encodeTraceEvent(event);
        transcoder.apply(i + 1, type, payload);
      });
      const spans = transcoder.spans();
      const whole = writeExportRequests(spans, spans.length);
      const maxBytes = Math.max(200, Math.floor(whole[0]!.bytes.length / (2 + Math.floor(random() * 5))));
      const split = writeExportRequests(spans, spans.length, maxBytes);
      expect(split.length).toBeGreaterThan(1);
      for (const request of split) if (request.spanCount > 1) expect(request.bytes.length).toBeLessThanOrEqual(maxBytes);
      const ids = (requests: typeof split) =>
        requests.flatMap((r) => fromBinary(ExportTraceServiceRequestSchema, r.bytes).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans.map((x) => Buffer.from(x.spanId).toString("hex")))));
      expect(split.reduce((n, r) => n + r.spanCount, 0)).toBe(spans.length);
      expect(new Set(ids(split))).toEqual(new Set(ids(whole)));
      expect(ids(split)).toHaveLength(spans.length);
    }
  });

  /** The spans of the request the transcoder writes for `events`, decoded. */
  const exported = (events: readonly TraceEventCase[]) => {
    const { transcoder, reference } = foldBoth([traceStarted(), ...events]);
    const [written] = writeExportRequests(transcoder.spans(), 100);
    const request = fromBinary(ExportTraceServiceRequestSchema, written!.bytes);
    expect(toJson(ExportTraceServiceRequestSchema, request)).toEqual(toJson(ExportTraceServiceRequestSchema, buildExportRequests(reference.spans(), 100)[0]!));
    return request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  };

  it("sends Span.flags as stored: the is-remote bits as the reporter gave them, or as the lifecycle API set them", () => {
    const spans = exported([
      // OTLP spans whose reporter left remoteness unknown, or said it.
      spanStarted("00000000000000a1", { flags: 0x01 }),
      spanStarted("00000000000000a2", { parentSpanId: "00000000000000a1", flags: 0x01 }),
      spanStarted("00000000000000a3", { parentSpanId: "00000000000000ff", parentIsRemote: true, flags: 0x01 }),
      spanStarted("00000000000000a4", { parentSpanId: "00000000000000ff", parentIsRemote: true, flags: 0x301 }),
      // A lifecycle span: remoteness known, bits set when stored.
      spanStarted("00000000000000a5", { parentSpanId: "00000000000000a1", flags: 0x101 }),
    ]);
    expect(spans.map((s) => s.flags)).toEqual([0x01, 0x01, 0x01, 0x301, 0x101]);
  });

  it("sends an exception event's own exception.escaped as it was received, and adds one only when the error escaped and has none", () => {
    const bool = (key: string, value: boolean) => create(KeyValueSchema, { key, value: { value: { case: "boolValue", value } } });
    const str = (key: string, value: string) => create(KeyValueSchema, { key, value: { value: { case: "stringValue", value } } });
    const spans = exported([
      spanStarted("00000000000000a1"),
      errorOccurred("00000000000000a1", { errorId: "otlp-0", errorType: "E", message: "m", escaped: false, attributes: [bool("exception.escaped", false), str("extra", "x")] }),
      errorOccurred("00000000000000a1", { errorId: "otlp-1", errorType: "E", message: "m", escaped: true, attributes: [str("exception.escaped", "true")] }),
      errorOccurred("00000000000000a1", { errorId: "err-1", errorType: "E", message: "m", escaped: true }),
    ]);
    const shown = spans[0]!.events.map((e) => e.attributes.map((kv) => `${kv.key}=${kv.value?.value.case}:${String(kv.value?.value.value)}`));
    expect(shown).toEqual([
      ["exception.type=stringValue:E", "exception.message=stringValue:m", "exception.escaped=boolValue:false", "extra=stringValue:x"],
      ["exception.type=stringValue:E", "exception.message=stringValue:m", "exception.escaped=stringValue:true"],
      ["exception.type=stringValue:E", "exception.message=stringValue:m", "exception.escaped=boolValue:true"],
    ]);
  });

  it("refuses an event type it does not know, rather than lose it", () => {
    expect(() => new OtlpSpanTranscoder().apply(1, "SpanTeleported", new Uint8Array(0))).toThrow(/unmapped trace event type "SpanTeleported"/);
  });
});
