// Every TracingService RPC on the real server, through three kinds of client:
// the generated connect client (gRPC over HTTP/2), @grpc/grpc-js loading the
// .proto files at run time (a foreign client), and plain fetch with Connect
// JSON (curl). Each client drives one trace through its whole life: start,
// children by traceparent, event, error, attributes, a batch, reads while it
// runs, a live watch that ends when the trace completes, the audit trail and
// the listing.

import { SpanKind, SpanState, StatusCode, TraceState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b64, callJson, fromB64, streamJson } from "./support/connect-json.js";
import { ForeignTracingClient, type Wire } from "./support/grpc-js-client.js";
import { hex, newSpanId, newTraceId, traceparentOf } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { readIterable } from "./support/stream-reader.js";
import { int, shortType, text } from "./support/values.js";
import { listedWhen } from "./support/listing.js";

const WAIT_MS = 10_000;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

/** The stream every client's scenario writes, in version order. */
const LIFE_OF_A_TRACE = [
  "TraceStarted",
  "SpanStarted", // root
  "SpanStarted", // child, by the root's traceparent
  "SpanEventRecorded",
  "SpanErrorOccurred",
  "SpanAttributeUpdated",
  "SpanStarted", // grandchild, in a batch
  "SpanEnded", // grandchild, in the same batch
  "SpanEnded", // child, while watched
  "SpanEnded", // root, while watched
  "TraceCompleted",
];
const REPLAYED = 8;

const e2e = serverPerFile();

describe("the generated connect client (gRPC door)", () => {
  it("drives a trace through every RPC", async () => {
    const { client } = e2e;
    const root = await client.startTrace({ name: "GET /cart", serviceName: "connect-gateway", kind: SpanKind.SERVER, requestId: "connect-root" });
    expect(root.traceId).toHaveLength(16);
    expect(root.spanId).toHaveLength(8);
    expect(root.traceparent).toMatch(TRACEPARENT);
    expect(root.traceparent).toBe(traceparentOf(root.traceId, root.spanId));
    expect(root.traceVersion).toBe(2n);
    const traceId = root.traceId;

    const child = await client.startSpan({
      traceparent: root.traceparent,
      name: "load cart",
      serviceName: "connect-cart",
      kind: SpanKind.CLIENT,
      attributes: [text("cart.id", "42")],
    });
    expect(hex(child.traceId)).toBe(hex(traceId));
    expect(child.traceStarted).toBe(false);
    expect(child.traceVersion).toBe(3n);

    const event = await client.addSpanEvent({ traceparent: child.traceparent, eventId: "cache-miss-1", name: "cache.miss" });
    expect(event).toMatchObject({ eventId: "cache-miss-1", traceVersion: 4n });
    const error = await client.recordError({ traceId, spanId: child.spanId, errorId: "err-1", errorType: "Timeout", message: "db slow" });
    expect(error).toMatchObject({ errorId: "err-1", traceVersion: 5n });
    const attributes = await client.setSpanAttributes({ traceparent: child.traceparent, updateId: "upd-1", attributes: [int("cart.rows", 3)] });
    expect(attributes).toMatchObject({ updateId: "upd-1", traceVersion: 6n, limitedAttributesCount: 0 });

    const grandchild = newSpanId();
    const batch = await client.ingestBatch({
      commands: [
        { command: { case: "startSpan", value: { traceparent: child.traceparent, spanId: grandchild, name: "select", serviceName: "connect-db" } } },
        { command: { case: "endSpan", value: { traceId, spanId: grandchild, status: { code: StatusCode.OK } } } },
      ],
    });
    expect(batch.results.map((r) => r.result.case)).toEqual(["startSpan", "endSpan"]);
    expect(batch.results[0]!.result.value).toMatchObject({ spanId: new Uint8Array(grandchild), traceVersion: 7n });
    expect(batch.results[1]!.result.value).toMatchObject({ traceVersion: 8n, traceCompleted: false });

    const running = (await client.getTrace({ traceId })).trace!;
    expect(running).toMatchObject({ state: TraceState.OPEN, version: 8n, spanCount: 3, runningSpanCount: 2, rootName: "GET /cart", rootServiceName: "connect-gateway" });
    const childView = running.spans.find((s) => hex(s.spanId) === hex(child.spanId))!;
    expect(childView.state).toBe(SpanState.RUNNING);
    expect(hex(childView.parentSpanId)).toBe(hex(root.spanId));
    expect(childView.parentIsRemote).toBe(false);
    expect(childView.events.map((e) => e.name)).toEqual(["cache.miss"]);
    expect(childView.errors.map((e) => [e.errorType, e.message])).toEqual([["Timeout", "db slow"]]);
    expect(childView.attributes.map((a) => a.key).sort()).toEqual(["cart.id", "cart.rows"]);

    const abort = new AbortController();
    try {
      const watch = readIterable(client.watchTrace({ traceId, afterVersion: 0n }, { signal: abort.signal }));
      const replayed = await watch.take(REPLAYED, WAIT_MS, "the replay");
      expect(replayed.map((r) => shortType(r.event!.type))).toEqual(LIFE_OF_A_TRACE.slice(0, REPLAYED));
      expect(replayed.map((r) => r.event!.streamVersion)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);

      const endChild = await client.endSpan({ traceparent: child.traceparent, status: { code: StatusCode.OK } });
      expect(endChild).toMatchObject({ traceVersion: 9n, traceCompleted: false });
      expect((await watch.next(WAIT_MS, "the child's SpanEnded, live")).event!.event!.event.case).toBe("spanEnded");

      const endRoot = await client.endSpan({ traceparent: root.traceparent, status: { code: StatusCode.OK } });
      expect(endRoot).toMatchObject({ traceVersion: 11n, traceCompleted: true });
      const last = await watch.take(2, WAIT_MS, "the root's SpanEnded and TraceCompleted, live");
      expect(last.map((r) => r.event!.event!.event.case)).toEqual(["spanEnded", "traceCompleted"]);
      expect(await watch.ending(WAIT_MS, "WatchTrace to end after TraceCompleted")).toEqual({ ok: true });
    } finally {
      abort.abort();
    }

    const events = await client.getTraceEvents({ traceId });
    expect(events.events.map((e) => shortType(e.type))).toEqual(LIFE_OF_A_TRACE);
    expect(events.events.map((e) => Number(e.streamVersion))).toEqual(LIFE_OF_A_TRACE.map((_, i) => i + 1));
    expect(events.nextPageToken).toBe("");

    const listed = await listedWhen(
      e2e.server.projector,
      () => client.listTraces({ serviceName: "connect-db" }),
      (l) => l.traces[0]?.state === TraceState.COMPLETED,
      "ListTraces to show the connect trace completed",
    );
    expect(listed.traces).toHaveLength(1);
    expect(listed.traces[0]).toMatchObject({ state: TraceState.COMPLETED, spanCount: 3, errorCount: 1, runningSpanCount: 0, rootName: "GET /cart" });
    expect(hex(listed.traces[0]!.traceId)).toBe(hex(traceId));
    expect([...listed.traces[0]!.serviceNames].sort()).toEqual(["connect-cart", "connect-db", "connect-gateway"]);
  });
});

describe("@grpc/grpc-js with @grpc/proto-loader (a foreign client)", () => {
  let client: ForeignTracingClient;
  beforeAll(() => {
    client = new ForeignTracingClient(e2e.server.grpcAddress);
  });
  afterAll(() => client?.close());

  it("drives a trace through every RPC", async () => {
    const traceId = newTraceId();
    const rootId = newSpanId();
    const root = await client.call("StartTrace", { trace_id: traceId, span_id: rootId, name: "POST /pay", service_name: "foreign-gateway", kind: "SPAN_KIND_SERVER" });
    expect(root).toMatchObject({ traceparent: traceparentOf(traceId, rootId), trace_version: "2" });
    expect(hex(root["trace_id"] as Buffer)).toBe(hex(traceId));

    const child = await client.call("StartSpan", {
      traceparent: root["traceparent"],
      name: "charge",
      service_name: "foreign-payments",
      kind: "SPAN_KIND_CLIENT",
      attributes: [{ key: "amount", value: { int_value: "1250" } }],
    });
    expect(child).toMatchObject({ trace_version: "3", trace_started: false });
    expect(child["traceparent"]).toMatch(TRACEPARENT);
    const childId = child["span_id"] as Buffer;

    expect(await client.call("AddSpanEvent", { traceparent: child["traceparent"], event_id: "ev-1", name: "retry" })).toMatchObject({ event_id: "ev-1", trace_version: "4" });
    expect(await client.call("RecordError", { trace_id: traceId, span_id: childId, error_id: "err-1", error_type: "CardDeclined", message: "no funds", escaped: true })).toMatchObject({
      error_id: "err-1",
      trace_version: "5",
    });
    expect(await client.call("SetSpanAttributes", { traceparent: child["traceparent"], update_id: "upd-1", attributes: [{ key: "attempts", value: { int_value: "2" } }] })).toMatchObject({
      update_id: "upd-1",
      trace_version: "6",
    });

    const grandchild = newSpanId();
    const batch = await client.call<{ results: Wire[] }>("IngestBatch", {
      commands: [
        { start_span: { trace_id: traceId, parent_span_id: childId, span_id: grandchild, name: "ledger write", service_name: "foreign-ledger" } },
        { end_span: { traceparent: traceparentOf(traceId, grandchild), status: { code: "STATUS_CODE_OK" } } },
      ],
    });
    expect(batch.results.map((r) => r["result"])).toEqual(["start_span", "end_span"]);
    expect(batch.results[0]!["start_span"]).toMatchObject({ trace_version: "7" });
    expect(batch.results[1]!["end_span"]).toMatchObject({ trace_version: "8", trace_completed: false });

    const running = (await client.call<{ trace: Wire }>("GetTrace", { trace_id: traceId })).trace;
    expect(running).toMatchObject({ state: "TRACE_STATE_OPEN", version: "8", span_count: 3, running_span_count: 2 });
    const spans = running["spans"] as Wire[];
    const childView = spans.find((s) => hex(s["span_id"] as Buffer) === hex(childId))!;
    expect(childView).toMatchObject({ state: "SPAN_STATE_RUNNING", name: "charge", kind: "SPAN_KIND_CLIENT" });
    expect((childView["errors"] as Wire[]).map((e) => e["error_type"])).toEqual(["CardDeclined"]);

    const watch = client.watch({ trace_id: traceId, after_version: "0" });
    try {
      const replayed = await watch.reader.take(REPLAYED, WAIT_MS, "the replay");
      expect(replayed.map((r) => shortType(String((r["event"] as Wire)["type"])))).toEqual(LIFE_OF_A_TRACE.slice(0, REPLAYED));

      expect(await client.call("EndSpan", { traceparent: child["traceparent"], status: { code: "STATUS_CODE_ERROR", message: "declined" } })).toMatchObject({
        trace_version: "9",
        trace_completed: false,
      });
      const childEnded = await watch.reader.next(WAIT_MS, "the child's SpanEnded, live");
      expect(((childEnded["event"] as Wire)["event"] as Wire)["event"]).toBe("span_ended");

      expect(await client.call("EndSpan", { trace_id: traceId, span_id: rootId })).toMatchObject({ trace_version: "11", trace_completed: true });
      const last = await watch.reader.take(2, WAIT_MS, "the root's SpanEnded and TraceCompleted, live");
      expect(last.map((r) => ((r["event"] as Wire)["event"] as Wire)["event"])).toEqual(["span_ended", "trace_completed"]);
      expect(await watch.reader.ending(WAIT_MS, "WatchTrace to end after TraceCompleted")).toEqual({ ok: true });
    } finally {
      watch.cancel();
    }

    const events = await client.call<{ events: Wire[]; next_page_token: string }>("GetTraceEvents", { trace_id: traceId });
    expect(events.events.map((e) => shortType(String(e["type"])))).toEqual(LIFE_OF_A_TRACE);
    expect(events.events.map((e) => e["stream_version"])).toEqual(LIFE_OF_A_TRACE.map((_, i) => String(i + 1)));
    expect(events.next_page_token).toBe("");

    const listed = await listedWhen(
      e2e.server.projector,
      () => client.call<{ traces: Wire[] }>("ListTraces", { service_name: "foreign-ledger", state: "TRACE_STATE_COMPLETED" }),
      (l) => l.traces.length > 0,
      "ListTraces to list the foreign client's trace as completed",
    );
    expect(listed.traces).toHaveLength(1);
    expect(listed.traces[0]).toMatchObject({ state: "TRACE_STATE_COMPLETED", span_count: 3, error_count: 1, root_name: "POST /pay" });
    expect(hex(listed.traces[0]!["trace_id"] as Buffer)).toBe(hex(traceId));
  });
});

describe("plain fetch with Connect JSON (HTTP door, as curl)", () => {
  it("drives a trace through every RPC, ids as base64", async () => {
    const http = e2e.server.httpAddress;
    const traceId = newTraceId();
    const root = await callJson(http, "StartTrace", { traceId: b64(traceId), name: "GET /hello", serviceName: "curl-gateway", kind: "SPAN_KIND_SERVER" });
    expect(fromB64(root["traceId"]).equals(traceId)).toBe(true);
    expect(fromB64(root["spanId"])).toHaveLength(8);
    expect(root["traceparent"]).toBe(traceparentOf(traceId, fromB64(root["spanId"])));
    expect(root["traceVersion"]).toBe("2");

    const child = await callJson(http, "StartSpan", {
      traceparent: root["traceparent"],
      name: "render",
      serviceName: "curl-web",
      attributes: [{ key: "template", value: { stringValue: "hello.html" } }],
    });
    expect(child["traceVersion"]).toBe("3");
    const childId = fromB64(child["spanId"]);

    expect(await callJson(http, "AddSpanEvent", { traceparent: child["traceparent"], eventId: "e1", name: "template.loaded" })).toEqual({ eventId: "e1", traceVersion: "4" });
    expect(await callJson(http, "RecordError", { traceId: b64(traceId), spanId: b64(childId), errorId: "x1", errorType: "TemplateError", message: "missing var" })).toEqual({
      errorId: "x1",
      traceVersion: "5",
    });
    expect(await callJson(http, "SetSpanAttributes", { traceparent: child["traceparent"], updateId: "u1", attributes: [{ key: "bytes", value: { intValue: "512" } }] })).toEqual({
      updateId: "u1",
      traceVersion: "6",
    });

    const grandchild = newSpanId();
    const batch = await callJson<{ results: Array<Record<string, Record<string, unknown>>> }>(http, "IngestBatch", {
      commands: [
        { startSpan: { traceparent: child["traceparent"], spanId: b64(grandchild), name: "escape", serviceName: "curl-escaper" } },
        { endSpan: { traceId: b64(traceId), spanId: b64(grandchild), status: { code: "STATUS_CODE_OK" } } },
      ],
    });
    expect(batch.results.map((r) => Object.keys(r))).toEqual([["startSpan"], ["endSpan"]]);
    expect(fromB64(batch.results[0]!["startSpan"]!["spanId"]).equals(grandchild)).toBe(true);
    expect(batch.results[1]!["endSpan"]!["traceVersion"]).toBe("8");

    const running = (await callJson<{ trace: Record<string, unknown> }>(http, "GetTrace", { traceId: b64(traceId) })).trace;
    expect(running).toMatchObject({ state: "TRACE_STATE_OPEN", version: "8", spanCount: 3, runningSpanCount: 2 });
    const spans = running["spans"] as Array<Record<string, unknown>>;
    expect(spans.find((s) => fromB64(s["spanId"]).equals(childId))).toMatchObject({ state: "SPAN_STATE_RUNNING", name: "render" });

    const watch = streamJson(http, "WatchTrace", { traceId: b64(traceId), afterVersion: "0" });
    try {
      const replayed = await watch.reader.take(REPLAYED, WAIT_MS, "the replay");
      expect(replayed.map((r) => shortType(String((r["event"] as Record<string, unknown>)["type"])))).toEqual(LIFE_OF_A_TRACE.slice(0, REPLAYED));

      expect(await callJson(http, "EndSpan", { traceparent: child["traceparent"] })).toMatchObject({ traceVersion: "9" });
      const childEnded = await watch.reader.next(WAIT_MS, "the child's SpanEnded, live");
      expect(Object.keys((childEnded["event"] as Record<string, Record<string, unknown>>)["event"]!)).toEqual(["spanEnded"]);

      expect(await callJson(http, "EndSpan", { traceparent: root["traceparent"], status: { code: "STATUS_CODE_OK" } })).toMatchObject({ traceVersion: "11", traceCompleted: true });
      const last = await watch.reader.take(2, WAIT_MS, "the root's SpanEnded and TraceCompleted, live");
      expect(last.map((r) => Object.keys((r["event"] as Record<string, Record<string, unknown>>)["event"]!))).toEqual([["spanEnded"], ["traceCompleted"]]);
      expect(await watch.reader.ending(WAIT_MS, "WatchTrace to end after TraceCompleted")).toEqual({ ok: true });
    } finally {
      watch.abort();
    }

    const events = await callJson<{ events: Array<Record<string, unknown>>; nextPageToken?: string }>(http, "GetTraceEvents", { traceId: b64(traceId) });
    expect(events.events.map((e) => shortType(String(e["type"])))).toEqual(LIFE_OF_A_TRACE);
    expect(events.events.map((e) => e["streamVersion"])).toEqual(LIFE_OF_A_TRACE.map((_, i) => String(i + 1)));
    expect(events.nextPageToken ?? "").toBe("");

    const listed = await listedWhen(
      e2e.server.projector,
      () => callJson<{ traces: Array<Record<string, unknown>> }>(http, "ListTraces", { serviceName: "curl-escaper" }),
      (l) => l.traces[0]?.["state"] === "TRACE_STATE_COMPLETED",
      "ListTraces to show the curl trace completed",
    );
    expect(listed.traces).toHaveLength(1);
    expect(listed.traces[0]).toMatchObject({ traceId: b64(traceId), state: "TRACE_STATE_COMPLETED", spanCount: 3, errorCount: 1, rootName: "GET /hello" });
  });
});
