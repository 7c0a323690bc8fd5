// Spans made by OpenTelemetry's stock JavaScript SDK and shipped by its three
// stock OTLP exporters (gRPC to the gRPC port; HTTP/protobuf and HTTP/JSON to
// POST /v1/traces) land in traceledger exactly: ids, parents, times, status,
// events, errors from exceptions, links, attributes, resource. A re-export is
// stored once; OTLP spans and lifecycle-API spans join one trace; a span that
// arrives after its trace completed is kept.

import { context, INVALID_SPAN_CONTEXT, SpanKind as OtelSpanKind, SpanStatusCode, trace, type HrTime, type Span as OtelSpan } from "@opentelemetry/api";
import { SpanKind, SpanState, StatusCode, TraceState, type Span } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { hex, newSpanId } from "./support/ids.js";
import { listedWhen } from "./support/listing.js";
import { serverPerFile } from "./support/server-per-file.js";
import { EXPORTER_KINDS, exportSpans, nanos, remoteParent, stockExporter, stockTracer, type ExporterKind } from "./support/stock-otel.js";

const e2e = serverPerFile();

const SECOND = 1_764_000_000;
const at = (ms: number, extraNanos = 0): HrTime => [SECOND + Math.floor(ms / 1000), (ms % 1000) * 1_000_000 + extraNanos];
const LINKED = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b9c7c989f97918e1" };

/** Three nested spans of one service, with everything a span can carry, ended in the order an app ends them. */
function checkoutSpans(serviceName: string) {
  const sdk = stockTracer(serviceName);
  const { tracer } = sdk;
  const root = tracer.startSpan("POST /checkout", { kind: OtelSpanKind.SERVER, startTime: at(0, 7), attributes: { "http.request.method": "POST", "http.route": "/checkout", retries: 2, ratio: 0.5, cached: false, tags: ["a", "b"] } });
  const child = tracer.startSpan(
    "charge card",
    { kind: OtelSpanKind.CLIENT, startTime: at(10), links: [{ context: { ...LINKED, traceFlags: 1 }, attributes: { "link.kind": "batch" } }] },
    trace.setSpan(context.active(), root),
  );
  child.addEvent("retry", { attempt: 1 }, at(12));
  child.recordException(Object.assign(new Error("card declined"), { name: "CardDeclined" }), at(15));
  child.setStatus({ code: SpanStatusCode.ERROR, message: "card declined" });
  const grandchild = tracer.startSpan("SELECT cards", { kind: OtelSpanKind.INTERNAL, startTime: at(11) }, trace.setSpan(context.active(), child));
  grandchild.end(at(13));
  child.end(at(20));
  root.setAttribute("http.response.status_code", 502);
  root.end(at(30, 3));
  return { spans: sdk.take(), root, child, grandchild, sdk };
}

const ids = (span: OtelSpan) => span.spanContext();
const byName = (spans: Span[]) => new Map(spans.map((s) => [s.name, s]));
const attributeValues = (span: Span) => Object.fromEntries(span.attributes.map((kv) => [kv.key, kv.value?.value.value]));

describe.each(EXPORTER_KINDS)("the stock %s exporter", (kind: ExporterKind) => {
  it("lands a trace exactly: ids, parents, times, status, events, exceptions as errors, links, attributes", async () => {
    const { spans, root, child, grandchild, sdk } = checkoutSpans(`shop-${kind}`);
    const exporter = stockExporter(kind, e2e.server);
    expect(await exportSpans(exporter, spans)).toMatchObject({ code: 0 });
    await exporter.shutdown();
    await sdk.shutdown();

    const traceId = Buffer.from(ids(root).traceId, "hex");
    const view = (await e2e.client.getTrace({ traceId })).trace!;
    expect(view).toMatchObject({ state: TraceState.COMPLETED, spanCount: 3, errorCount: 1, runningSpanCount: 0, rootName: "POST /checkout", rootServiceName: `shop-${kind}` });
    expect(view.durationNano).toBe(nanos(at(30, 3)) - nanos(at(0, 7)));
    const got = byName(view.spans);

    const r = got.get("POST /checkout")!;
    expect(hex(r.spanId)).toBe(ids(root).spanId);
    expect(r.parentSpanId).toHaveLength(0);
    expect(r).toMatchObject({ kind: SpanKind.SERVER, state: SpanState.ENDED, serviceName: `shop-${kind}`, scopeName: "traceledger-interop", scopeVersion: "1.0.0" });
    expect([r.startTimeUnixNano, r.endTimeUnixNano]).toEqual([nanos(at(0, 7)), nanos(at(30, 3))]);
    expect(r.status?.code).toBe(StatusCode.UNSPECIFIED);
    expect(attributeValues(r)).toMatchObject({ "http.request.method": "POST", "http.route": "/checkout", retries: 2n, ratio: 0.5, cached: false, "http.response.status_code": 502n });
    expect(r.attributes.find((kv) => kv.key === "tags")?.value?.value).toMatchObject({ case: "arrayValue" });
    expect(Object.fromEntries(r.resourceAttributes.map((kv) => [kv.key, kv.value?.value.value]))).toMatchObject({ "service.name": `shop-${kind}`, "deployment.environment.name": "test" });
    expect(r.traceparent).toBe(`00-${ids(root).traceId}-${ids(root).spanId}-01`);

    const c = got.get("charge card")!;
    expect(hex(c.spanId)).toBe(ids(child).spanId);
    expect(hex(c.parentSpanId)).toBe(ids(root).spanId);
    expect(c.parentIsRemote).toBe(false);
    expect(c).toMatchObject({ kind: SpanKind.CLIENT, status: { code: StatusCode.ERROR, message: "card declined" } });
    expect([c.startTimeUnixNano, c.endTimeUnixNano]).toEqual([nanos(at(10)), nanos(at(20))]);
    expect(c.events.map((e) => [e.name, e.timeUnixNano, e.attributes.map((kv) => [kv.key, kv.value?.value.value])])).toEqual([["retry", nanos(at(12)), [["attempt", 1n]]]]);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatchObject({ errorType: "CardDeclined", message: "card declined", timeUnixNano: nanos(at(15)) });
    expect(c.errors[0]!.stacktrace).toContain("CardDeclined: card declined");
    expect(c.links.map((l) => [hex(l.traceId), hex(l.spanId), l.attributes.map((kv) => kv.key)])).toEqual([[LINKED.traceId, LINKED.spanId, ["link.kind"]]]);

    const g = got.get("SELECT cards")!;
    expect(hex(g.spanId)).toBe(ids(grandchild).spanId);
    expect(hex(g.parentSpanId)).toBe(ids(child).spanId);
    expect([g.startTimeUnixNano, g.endTimeUnixNano]).toEqual([nanos(at(11)), nanos(at(13))]);
    expect(g.kind).toBe(SpanKind.INTERNAL);
  });

  it("keeps what stock SDKs record and OTLP allows: a link to an invalid context with attributes, an unnamed span", async () => {
    const sdk = stockTracer(`lenient-${kind}`);
    const invalid = INVALID_SPAN_CONTEXT;
    const span = sdk.tracer.startSpan("", { startTime: at(0), links: [{ context: invalid, attributes: { "messaging.message.id": "m-1" } }] });
    span.addEvent("", { step: 1 }, at(1));
    span.end(at(2));
    const exporter = stockExporter(kind, e2e.server);
    expect(await exportSpans(exporter, sdk.take())).toMatchObject({ code: 0 });
    const stored = (await e2e.client.getTrace({ traceId: Buffer.from(ids(span).traceId, "hex") })).trace!.spans;
    expect(stored.map((s) => s.name)).toEqual(["(unnamed)"]);
    expect(stored[0]!.events.map((e) => e.name)).toEqual(["(unnamed)"]);
    expect(stored[0]!.links.map((l) => [hex(l.traceId), hex(l.spanId), l.attributes.map((kv) => kv.key)])).toEqual([["0".repeat(32), "0".repeat(16), ["messaging.message.id"]]]);
    await exporter.shutdown();
    await sdk.shutdown();
  });

  it("stores a span exported twice once", async () => {
    const { spans, root, sdk } = checkoutSpans(`retry-${kind}`);
    const exporter = stockExporter(kind, e2e.server, { gzip: true });
    expect(await exportSpans(exporter, spans)).toMatchObject({ code: 0 });
    const traceId = Buffer.from(ids(root).traceId, "hex");
    const first = (await e2e.client.getTraceEvents({ traceId, pageSize: 1000 })).events;
    expect(await exportSpans(exporter, spans)).toMatchObject({ code: 0 });
    expect(await exportSpans(exporter, spans.slice(1))).toMatchObject({ code: 0 });
    const after = (await e2e.client.getTraceEvents({ traceId, pageSize: 1000 })).events;
    expect(after.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
    expect((await e2e.client.getTrace({ traceId })).trace!.spanCount).toBe(3);
    await exporter.shutdown();
    await sdk.shutdown();
  });
});

describe("OTLP spans and lifecycle-API spans join one trace", () => {
  it("an OTLP child of a running lifecycle span", async () => {
    const started = await e2e.client.startTrace({ name: "GET /orders", serviceName: "gateway", kind: SpanKind.SERVER });
    const sdk = stockTracer("orders");
    const span = sdk.tracer.startSpan("load order", { kind: OtelSpanKind.SERVER }, remoteParent(hex(started.traceId), hex(started.spanId)));
    span.end();
    const exporter = stockExporter("grpc", e2e.server);
    expect(await exportSpans(exporter, sdk.take())).toMatchObject({ code: 0 });

    const open = (await e2e.client.getTrace({ traceId: started.traceId })).trace!;
    expect(open).toMatchObject({ state: TraceState.OPEN, spanCount: 2, runningSpanCount: 1 });
    const otlp = open.spans.find((s) => s.name === "load order")!;
    expect(hex(otlp.parentSpanId)).toBe(hex(started.spanId));
    expect(otlp.serviceName).toBe("orders");
    expect(otlp.parentIsRemote).toBe(true); // the exporter said so (Span.flags), and it is another process

    expect((await e2e.client.endSpan({ traceparent: started.traceparent, status: { code: StatusCode.OK } })).traceCompleted).toBe(true);
    expect((await e2e.client.getTrace({ traceId: started.traceId })).trace).toMatchObject({ state: TraceState.COMPLETED, spanCount: 2 });
    await exporter.shutdown();
    await sdk.shutdown();
  });

  it("a lifecycle child of an OTLP span, the OTLP root arriving last", async () => {
    const sdk = stockTracer("frontend");
    const root = sdk.tracer.startSpan("GET /cart", { kind: OtelSpanKind.SERVER });
    const traceparent = `00-${ids(root).traceId}-${ids(root).spanId}-01`;
    const child = await e2e.client.startSpan({ traceparent, name: "price cart", serviceName: "pricing", kind: SpanKind.SERVER });
    expect(child.traceStarted).toBe(true);
    await e2e.client.endSpan({ traceparent: child.traceparent, status: { code: StatusCode.OK } });
    root.end();
    const exporter = stockExporter("http/protobuf", e2e.server);
    expect(await exportSpans(exporter, sdk.take())).toMatchObject({ code: 0 });

    const view = (await e2e.client.getTrace({ traceId: child.traceId })).trace!;
    expect(view).toMatchObject({ state: TraceState.COMPLETED, spanCount: 2, rootName: "GET /cart", rootServiceName: "frontend" });
    const pricing = view.spans.find((s) => s.name === "price cart")!;
    expect(hex(pricing.parentSpanId)).toBe(ids(root).spanId);
    await exporter.shutdown();
    await sdk.shutdown();
  });

  it("a span whose exporter writes no trace flags (Python's) reads as sampled, and so does a lifecycle child under it", async () => {
    // A running lifecycle root keeps the trace open.
    const { traceId, spanId: root, traceparent: rootTraceparent } = await e2e.client.startTrace({ name: "GET /cart", serviceName: "gateway", kind: SpanKind.SERVER });
    const parent = newSpanId();
    const T0 = BigInt(Date.now()) * 1_000_000n;
    // Span.flags as those exporters send it: only "is-remote known" (the parent is local), no W3C trace flags.
    const request = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: parent, parentSpanId: root, name: "GET /items", kind: 2, startTimeUnixNano: T0, endTimeUnixNano: T0 + 1_000n, flags: 0x100 }] }] }],
    });
    const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: toBinary(ExportTraceServiceRequestSchema, request) });
    expect(response.status).toBe(200);

    const view = (await e2e.client.getTrace({ traceId })).trace!;
    expect(view.spans.find((s) => s.name === "GET /items")!.traceparent).toBe(`00-${hex(traceId)}-${hex(parent)}-01`);
    // A child started by trace id and parent id takes its parent's flags: sampled, so downstream services record too.
    const child = await e2e.client.startSpan({ traceId, parentSpanId: parent, name: "load items", serviceName: "items" });
    expect(child.traceparent).toMatch(/-01$/);
    await e2e.client.endSpan({ traceparent: child.traceparent, status: { code: StatusCode.OK } });
    await e2e.client.endSpan({ traceparent: rootTraceparent, status: { code: StatusCode.OK } });
  });

  it("keeps a span that arrives after its trace completed, and restates the completion", async () => {
    const started = await e2e.client.startTrace({ name: "POST /jobs", serviceName: "api", kind: SpanKind.SERVER });
    const sdk = stockTracer("worker");
    // A job the request started; it ends (and is exported) after the request's trace completed.
    const job = sdk.tracer.startSpan("run job", { kind: OtelSpanKind.CONSUMER }, remoteParent(hex(started.traceId), hex(started.spanId)));
    expect((await e2e.client.endSpan({ traceparent: started.traceparent, status: { code: StatusCode.OK } })).traceCompleted).toBe(true);
    job.setStatus({ code: SpanStatusCode.ERROR });
    job.end();
    const exporter = stockExporter("http/json", e2e.server);
    expect(await exportSpans(exporter, sdk.take())).toMatchObject({ code: 0 });

    const view = (await e2e.client.getTrace({ traceId: started.traceId })).trace!;
    expect(view).toMatchObject({ state: TraceState.COMPLETED, spanCount: 2, errorCount: 1 });
    const events = (await e2e.client.getTraceEvents({ traceId: started.traceId, pageSize: 100 })).events.map((e) => e.event!.event);
    const completions = events.filter((e) => e.case === "traceCompleted").map((e) => e.value as { spanCount: number; lateSpanCount: number });
    expect(completions.map((c) => [c.spanCount, c.lateSpanCount])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    // ListTraces counts the late span too, and keeps the trace completed.
    const listed = await listedWhen(
      e2e.server.projector,
      () => e2e.client.listTraces({ serviceName: "worker" }),
      (page) => page.traces.some((t) => hex(t.traceId) === hex(started.traceId) && t.spanCount === 2),
      "the late span in ListTraces",
    );
    expect(listed.traces.find((t) => hex(t.traceId) === hex(started.traceId))).toMatchObject({ state: TraceState.COMPLETED, errorCount: 1 });
    // The lifecycle API still refuses to start a span in it.
    await expect(e2e.client.startSpan({ traceparent: started.traceparent, name: "too late", serviceName: "api" })).rejects.toThrow(/completed/);
    await exporter.shutdown();
    await sdk.shutdown();
  });
});
