// What the contract promises, end to end on the real server: a trace across
// services by traceparent, retries answered with the original result and
// stored once, time travel, paging the audit trail, following a trace live and
// resuming, and IngestBatch with a result per command.

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { SpanKind, SpanState, StatusCode, TraceState, TracingCommandSchema, type TracingCommand } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { connectError } from "./support/error-details.js";
import { ForeignTracingClient, eventCase, streamVersion } from "./support/grpc-js-client.js";
import { hex, newSpanId, newTraceId, nowNanos, traceparentOf } from "./support/ids.js";
import { connectClient, startServer } from "./support/in-process-server.js";
import { serverPerFile } from "./support/server-per-file.js";
import { readIterable } from "./support/stream-reader.js";
import { text } from "./support/values.js";
import { clockPast } from "./support/wait.js";
import { listedWhen } from "./support/listing.js";

const WAIT_MS = 10_000;

const e2e = serverPerFile();

async function allEvents(traceId: Uint8Array) {
  return (await e2e.client.getTraceEvents({ traceId, pageSize: 5000 })).events;
}

async function eventTypes(traceId: Uint8Array): Promise<string[]> {
  return (await allEvents(traceId)).map((e) => e.event!.event.case ?? "");
}

describe("a trace across three services", () => {
  it("links gateway -> payments -> bank by traceparent and completes when the root ends", async () => {
    // Each "service" only sees the traceparent of its caller, as from an HTTP header.
    const gateway = await e2e.client.startTrace({ name: "POST /checkout", serviceName: "gateway", kind: SpanKind.SERVER });
    const payments = await e2e.client.startSpan({ traceparent: gateway.traceparent, name: "charge", serviceName: "payments", kind: SpanKind.SERVER });
    const bank = await e2e.client.startSpan({ traceparent: payments.traceparent, name: "authorize", serviceName: "bank", kind: SpanKind.SERVER });
    expect([hex(payments.traceId), hex(bank.traceId)]).toEqual([hex(gateway.traceId), hex(gateway.traceId)]);

    const running = (await e2e.client.getTrace({ traceId: gateway.traceId })).trace!;
    const byName = new Map(running.spans.map((s) => [s.name, s]));
    expect(byName.get("POST /checkout")!.parentSpanId).toHaveLength(0);
    expect(hex(byName.get("charge")!.parentSpanId)).toBe(hex(gateway.spanId));
    expect(hex(byName.get("authorize")!.parentSpanId)).toBe(hex(payments.spanId));
    expect(running.spans.every((s) => !s.parentIsRemote && s.state === SpanState.RUNNING)).toBe(true);
    expect(running.spans.map((s) => s.traceparent).sort()).toEqual([gateway.traceparent, payments.traceparent, bank.traceparent].sort());

    expect((await e2e.client.endSpan({ traceparent: bank.traceparent, status: { code: StatusCode.OK } })).traceCompleted).toBe(false);
    expect((await e2e.client.endSpan({ traceparent: payments.traceparent, status: { code: StatusCode.OK } })).traceCompleted).toBe(false);
    expect((await e2e.client.endSpan({ traceparent: gateway.traceparent, status: { code: StatusCode.OK } })).traceCompleted).toBe(true);

    const done = (await e2e.client.getTrace({ traceId: gateway.traceId })).trace!;
    expect(done).toMatchObject({ state: TraceState.COMPLETED, spanCount: 3, runningSpanCount: 0, rootServiceName: "gateway" });
    expect(done.spans.every((s) => s.state === SpanState.ENDED)).toBe(true);
  });

  it("starts a trace from a traceparent of another system, with the parent recorded as remote", async () => {
    const traceId = newTraceId();
    const foreignParent = newSpanId();
    const span = await e2e.client.startSpan({ traceparent: traceparentOf(traceId, foreignParent), name: "consume", serviceName: "worker", kind: SpanKind.CONSUMER });
    expect(span.traceStarted).toBe(true);
    expect(hex(span.traceId)).toBe(hex(traceId));
    const view = (await e2e.client.getTrace({ traceId })).trace!;
    expect(view.spans).toHaveLength(1);
    expect(view.spans[0]).toMatchObject({ parentIsRemote: true, state: SpanState.RUNNING });
    expect(hex(view.spans[0]!.parentSpanId)).toBe(hex(foreignParent));
    // No local root: ending the only span does not complete the trace.
    expect((await e2e.client.endSpan({ traceparent: span.traceparent })).traceCompleted).toBe(false);
  });
});

describe("W3C trace flags", () => {
  it("a child named by trace_id + parent_span_id takes its local parent's flags, as one named by the parent's traceparent does", async () => {
    const traceId = newTraceId();
    const parentId = newSpanId();
    const parent = await e2e.client.startSpan({ traceparent: `00-${hex(traceId)}-${hex(newSpanId())}-00`, spanId: parentId, name: "unsampled", serviceName: "flags" });
    const byTraceparent = await e2e.client.startSpan({ traceparent: parent.traceparent, spanId: newSpanId(), name: "c1", serviceName: "flags" });
    const byIds = await e2e.client.startSpan({ traceId, parentSpanId: parentId, spanId: newSpanId(), name: "c2", serviceName: "flags" });
    expect([parent.traceparent.slice(-2), byTraceparent.traceparent.slice(-2), byIds.traceparent.slice(-2)]).toEqual(["00", "00", "00"]);
    const root = await e2e.client.startTrace({ name: "sampled root", serviceName: "flags", requestId: `derived-${hex(newSpanId())}` });
    const child = await e2e.client.startSpan({ traceId: root.traceId, parentSpanId: root.spanId, name: "child", serviceName: "flags" });
    expect([root.traceparent.slice(-2), child.traceparent.slice(-2)]).toEqual(["01", "01"]);
  });

  it("carries Level 2's random trace-id flag: set for a trace id picked at random, by the server or by a caller that says so, and kept for the trace", async () => {
    // The server picks the id: random. From request_id: derived, not random. The caller's own: as it says.
    const picked = await e2e.client.startTrace({ name: "picked", serviceName: "flags" });
    const derived = await e2e.client.startTrace({ name: "derived", serviceName: "flags", requestId: `derived-${hex(newSpanId())}` });
    const own = await e2e.client.startTrace({ traceId: newTraceId(), name: "own", serviceName: "flags", randomTraceId: true });
    const unsaid = await e2e.client.startTrace({ traceId: newTraceId(), name: "unsaid", serviceName: "flags" });
    expect([picked, derived, own, unsaid].map((r) => r.traceparent.slice(-2))).toEqual(["03", "01", "03", "01"]);
    // Children keep it: by ids, by traceparent, and a root span whose caller says its id is random.
    const byIds = await e2e.client.startSpan({ traceId: picked.traceId, parentSpanId: picked.spanId, name: "c1", serviceName: "flags" });
    const byTraceparent = await e2e.client.startSpan({ traceparent: own.traceparent, name: "c2", serviceName: "flags" });
    const root = await e2e.client.startSpan({ traceId: newTraceId(), spanId: newSpanId(), name: "sdk root", serviceName: "flags", randomTraceId: true });
    expect([byIds, byTraceparent, root].map((r) => r.traceparent.slice(-2))).toEqual(["03", "03", "03"]);
    // The flag a foreign parent sent is carried on; its reserved bits are not.
    const foreign = await e2e.client.startSpan({ traceparent: `00-${hex(newTraceId())}-${hex(newSpanId())}-ff`, name: "c3", serviceName: "flags" });
    expect(foreign.traceparent.slice(-2)).toBe("03");
    // A local parent's flags win over the caller's word: an unsampled trace stays unsampled, one
    // without the flag stays without it. And an id derived from request_id is never random.
    const unsampled = await e2e.client.startSpan({ traceparent: `00-${hex(newTraceId())}-${hex(newSpanId())}-00`, name: "unsampled", serviceName: "flags" });
    const underUnsampled = await e2e.client.startSpan({ traceId: unsampled.traceId, parentSpanId: unsampled.spanId, name: "c4", serviceName: "flags", randomTraceId: true });
    const underUnsaid = await e2e.client.startSpan({ traceId: unsaid.traceId, parentSpanId: unsaid.spanId, name: "c5", serviceName: "flags", randomTraceId: true });
    const derivedAnyway = await e2e.client.startTrace({ name: "derived", serviceName: "flags", requestId: `derived-${hex(newSpanId())}`, randomTraceId: true });
    expect([underUnsampled, underUnsaid, derivedAnyway].map((r) => r.traceparent.slice(-2))).toEqual(["00", "01", "01"]);
    // Stored with the span (what OTLP export sends as Span.flags' low byte).
    const events = (await e2e.client.getTraceEvents({ traceId: picked.traceId })).events;
    const started = events.flatMap((e) => (e.event?.event.case === "spanStarted" ? [e.event.event.value.flags & 0xff] : []));
    expect(started).toEqual([3, 3]);
  });
});

describe("retries", () => {
  it("answers the same StartSpan twice with the same result and stores it once", async () => {
    const root = await e2e.client.startTrace({ name: "root", serviceName: "retry" });
    const spanId = newSpanId();
    const request = { traceparent: root.traceparent, spanId, name: "child", serviceName: "retry", attributes: [text("a", "1")] };
    const first = await e2e.client.startSpan(request);
    const second = await e2e.client.startSpan(request);
    expect(second).toEqual(first);

    // Without a client-chosen span id, request_id makes the retry recognisable.
    const byRequest = { traceparent: root.traceparent, requestId: "req-7", name: "by request id", serviceName: "retry" };
    const third = await e2e.client.startSpan(byRequest);
    const fourth = await e2e.client.startSpan(byRequest);
    expect(fourth).toEqual(third);

    // The same start sent twice at once: one is decided first, the other is its retry.
    const concurrentRequest = { traceparent: root.traceparent, spanId: newSpanId(), name: "concurrent", serviceName: "retry" };
    const [c1, c2] = await Promise.all([e2e.client.startSpan(concurrentRequest), e2e.client.startSpan(concurrentRequest)]);
    expect(c2).toEqual(c1);

    const types = await eventTypes(root.traceId);
    expect(types.filter((t) => t === "spanStarted")).toHaveLength(4); // root, child, by request id, concurrent
  });

  it("answers a retried StartTrace with request_id with the same trace", async () => {
    const request = { name: "idempotent root", serviceName: "retry", requestId: `start-${hex(newSpanId())}` };
    const first = await e2e.client.startTrace(request);
    const second = await e2e.client.startTrace(request);
    expect(second).toEqual(first);
    expect(await eventTypes(first.traceId)).toEqual(["traceStarted", "spanStarted"]);
    // The same request_id for another request is the client's mistake, named as such.
    const reused = await e2e.client.startTrace({ ...request, name: "another root" }).catch((e: unknown) => e);
    expect(connectError(reused)).toMatchObject({ code: "already_exists", reason: "REQUEST_ID_REUSED", metadata: { request_id: request.requestId } });
  });

  it("answers a retried EndSpan with the original result, and RecordError, AddSpanEvent, SetSpanAttributes by their ids", async () => {
    const root = await e2e.client.startTrace({ name: "root", serviceName: "retry" });
    const child = await e2e.client.startSpan({ traceparent: root.traceparent, name: "child", serviceName: "retry" });

    const error = { traceparent: child.traceparent, errorId: "e-1", errorType: "Boom", message: "boom" };
    expect(await e2e.client.recordError(error)).toEqual(await e2e.client.recordError(error));
    const event = { traceparent: child.traceparent, eventId: "ev-1", name: "tick" };
    expect(await e2e.client.addSpanEvent(event)).toEqual(await e2e.client.addSpanEvent(event));
    const update = { traceparent: child.traceparent, updateId: "u-1", attributes: [text("k", "v")] };
    expect(await e2e.client.setSpanAttributes(update)).toEqual(await e2e.client.setSpanAttributes(update));

    const end = { traceparent: child.traceparent, status: { code: StatusCode.ERROR, message: "failed" } };
    const firstEnd = await e2e.client.endSpan(end);
    const retriedEnd = await e2e.client.endSpan(end);
    expect(retriedEnd).toEqual(firstEnd);
    const ended = (await e2e.client.getTrace({ traceId: root.traceId })).trace!.spans.find((s) => hex(s.spanId) === hex(child.spanId))!;
    expect(firstEnd.durationNano).toBe(ended.endTimeUnixNano - ended.startTimeUnixNano);

    expect(await eventTypes(root.traceId)).toEqual([
      "traceStarted",
      "spanStarted",
      "spanStarted",
      "spanErrorOccurred",
      "spanEventRecorded",
      "spanAttributeUpdated",
      "spanEnded",
    ]);
  });

  it("answers a retried EndSpan that completed the trace with the original result (trace_version after TraceCompleted)", async () => {
    const root = await e2e.client.startTrace({ name: "root", serviceName: "retry" });
    const endRoot = { traceparent: root.traceparent, status: { code: StatusCode.OK } };
    const completed = await e2e.client.endSpan(endRoot);
    expect(completed).toMatchObject({ traceCompleted: true, traceVersion: 4n }); // SpanEnded 3, TraceCompleted 4
    const retried = await e2e.client.endSpan(endRoot);
    expect(retried).toEqual(completed);
    expect(await eventTypes(root.traceId)).toEqual(["traceStarted", "spanStarted", "spanEnded", "traceCompleted"]);
  });
});

describe("a span renamed as it ends", () => {
  it("shows the new name from the end on, in GetTrace (as of any moment), ListTraces and the log", async () => {
    const root = await e2e.client.startTrace({ name: "GET", serviceName: "rename-gateway", kind: SpanKind.SERVER });
    const ended = await e2e.client.endSpan({ traceparent: root.traceparent, name: "GET /users/{id}", status: { code: StatusCode.OK } });
    expect(ended.traceCompleted).toBe(true);

    const now = (await e2e.client.getTrace({ traceId: root.traceId })).trace!;
    expect(now.spans.map((s) => s.name)).toEqual(["GET /users/{id}"]);
    expect(now.rootName).toBe("GET /users/{id}");
    const running = (await e2e.client.getTrace({ traceId: root.traceId, asOf: { case: "asOfVersion", value: root.traceVersion } })).trace!;
    expect(running.spans.map((s) => [s.name, s.state])).toEqual([["GET", SpanState.RUNNING]]);
    const spanEnded = (await allEvents(root.traceId)).find((e) => e.event!.event.case === "spanEnded")!;
    expect(spanEnded.event!.event.value).toMatchObject({ name: "GET /users/{id}" });

    const listed = await listedWhen(
      e2e.server.projector,
      () => e2e.client.listTraces({ serviceName: "rename-gateway" }),
      (l) => l.traces.length === 1 && l.traces[0]!.state === TraceState.COMPLETED,
      "ListTraces to list the renamed trace, completed",
    );
    expect(listed.traces[0]!.rootName).toBe("GET /users/{id}");
    expect((await e2e.client.listTraces({ serviceName: "rename-gateway", spanName: "GET /users/{id}" })).traces).toHaveLength(1);
    expect((await e2e.client.listTraces({ serviceName: "rename-gateway", spanName: "GET" })).traces).toHaveLength(0);

    // A retry repeats the final name; another name, or a blank one, is refused and writes nothing.
    expect((await e2e.client.endSpan({ traceparent: root.traceparent, name: "GET /users/{id}", status: { code: StatusCode.OK } })).traceVersion).toBe(ended.traceVersion);
    const other = await e2e.client.endSpan({ traceparent: root.traceparent, name: "GET /teams/{id}", status: { code: StatusCode.OK } }).catch((e: unknown) => e);
    expect(connectError(other)).toMatchObject({ code: "failed_precondition", reason: "SPAN_ALREADY_ENDED" });
    const child = await e2e.client.startSpan({ traceparent: traceparentOf(newTraceId(), newSpanId()), name: "work", serviceName: "rename-worker" });
    const blank = await e2e.client.endSpan({ traceparent: child.traceparent, name: " " }).catch((e: unknown) => e);
    expect(connectError(blank)).toMatchObject({ code: "invalid_argument", reason: "INVALID_SPAN_NAME" });
    expect((await e2e.client.getTrace({ traceId: child.traceId })).trace!.spans.map((s) => [s.name, s.state])).toEqual([["work", SpanState.RUNNING]]);
  });

  it("takes the new name from the foreign grpc-js client (the .proto loaded at run time)", async () => {
    const foreign = new ForeignTracingClient(e2e.server.grpcAddress);
    try {
      const root = await e2e.client.startTrace({ name: "consume", serviceName: "rename-foreign" });
      await foreign.call("EndSpan", { traceparent: root.traceparent, name: "consume orders.created" });
      expect((await e2e.client.getTrace({ traceId: root.traceId })).trace!.spans.map((s) => s.name)).toEqual(["consume orders.created"]);
    } finally {
      foreign.close();
    }
  });
});

describe("time travel with GetTrace", () => {
  it("shows a span RUNNING as of an earlier version and time, and ENDED now", async () => {
    const root = await e2e.client.startTrace({ name: "root", serviceName: "time-travel" });
    const child = await e2e.client.startSpan({ traceparent: root.traceparent, name: "slow", serviceName: "time-travel" });
    const started = (await allEvents(root.traceId)).at(-1)!;
    expect(started.event!.event.case).toBe("spanStarted");
    // The store records times in milliseconds: let the clock move on so the end is recorded later.
    await clockPast(started.recordedTimeUnixNano / 1_000_000n);
    const ended = await e2e.client.endSpan({ traceparent: child.traceparent, status: { code: StatusCode.OK } });

    const now = (await e2e.client.getTrace({ traceId: root.traceId })).trace!;
    const spanNow = now.spans.find((s) => hex(s.spanId) === hex(child.spanId))!;
    expect(spanNow.state).toBe(SpanState.ENDED);
    expect(now.version).toBe(ended.traceVersion);

    const asOfVersion = (await e2e.client.getTrace({ traceId: root.traceId, asOf: { case: "asOfVersion", value: child.traceVersion } })).trace!;
    expect(asOfVersion.version).toBe(child.traceVersion);
    expect(asOfVersion.spans.find((s) => hex(s.spanId) === hex(child.spanId))!.state).toBe(SpanState.RUNNING);
    expect(asOfVersion.runningSpanCount).toBe(2);

    const asOfTime = (await e2e.client.getTrace({ traceId: root.traceId, asOf: { case: "asOfTimeUnixNano", value: started.recordedTimeUnixNano } })).trace!;
    expect(asOfTime.version).toBe(child.traceVersion);
    expect(asOfTime.spans.find((s) => hex(s.spanId) === hex(child.spanId))!.state).toBe(SpanState.RUNNING);

    // Before the first event, the trace did not exist.
    const before = await e2e.client.getTrace({ traceId: root.traceId, asOf: { case: "asOfTimeUnixNano", value: 1n } }).catch((e: unknown) => e);
    expect(connectError(before)).toMatchObject({ code: "not_found", reason: "TRACE_NOT_FOUND", domain: "traceledger.dev" });
  });
});

describe("GetTraceEvents paging", () => {
  it("pages through the audit trail with page_size and next_page_token", async () => {
    const root = await e2e.client.startTrace({ name: "root", serviceName: "paging" });
    for (let i = 0; i < 10; i++) await e2e.client.addSpanEvent({ traceparent: root.traceparent, eventId: `e${i}`, name: `event ${i}` });
    await e2e.client.endSpan({ traceparent: root.traceparent });
    // 2 starts + 10 events + end + completed
    const total = 14;

    const versions: bigint[] = [];
    const pageSizes: number[] = [];
    let pageToken = "";
    for (let page = 0; page < 10; page++) {
      const response = await e2e.client.getTraceEvents({ traceId: root.traceId, pageSize: 4, pageToken });
      versions.push(...response.events.map((e) => e.streamVersion));
      pageSizes.push(response.events.length);
      pageToken = response.nextPageToken;
      if (pageToken === "") break;
    }
    expect(pageSizes).toEqual([4, 4, 4, 2]);
    expect(versions).toEqual(Array.from({ length: total }, (_, i) => BigInt(i + 1)));

    const exact = await e2e.client.getTraceEvents({ traceId: root.traceId, pageSize: 7 });
    expect(exact.events).toHaveLength(7);
    const rest = await e2e.client.getTraceEvents({ traceId: root.traceId, pageSize: 7, pageToken: exact.nextPageToken });
    expect(rest.events.map((e) => e.streamVersion)).toEqual([8n, 9n, 10n, 11n, 12n, 13n, 14n]);
    expect(rest.nextPageToken).toBe("");

    const range = await e2e.client.getTraceEvents({ traceId: root.traceId, afterVersion: 3n, toVersion: 6n });
    expect(range.events.map((e) => e.streamVersion)).toEqual([4n, 5n, 6n]);

    const bad = await e2e.client.getTraceEvents({ traceId: root.traceId, pageToken: "not-a-token" }).catch((e: unknown) => e);
    expect(connectError(bad)).toMatchObject({ code: "invalid_argument", reason: "INVALID_PAGE_TOKEN", domain: "traceledger.dev" });
  });

  it("keeps a page of large events within 2 MiB, so a stock gRPC client (4 MiB limit) can read it; GetTrace says the trace is too large", async () => {
    const root = await e2e.client.startTrace({ name: "root", serviceName: "paging-large" });
    const big = "x".repeat(400_000);
    for (let i = 0; i < 12; i++) {
      await e2e.client.addSpanEvent({ traceparent: root.traceparent, eventId: `big${i}`, name: `big ${i}`, attributes: [text("blob", big)] });
    }
    const pages: number[] = [];
    const versions: bigint[] = [];
    let pageToken = "";
    do {
      const response = await e2e.client.getTraceEvents({ traceId: root.traceId, pageSize: 5000, pageToken });
      pages.push(response.events.length);
      versions.push(...response.events.map((e) => e.streamVersion));
      pageToken = response.nextPageToken;
    } while (pageToken !== "");
    // 2 starts + 12 events of ~400 KB: five of them fit in 2 MiB.
    expect(pages).toEqual([7, 5, 2]);
    expect(versions).toEqual(Array.from({ length: 14 }, (_, i) => BigInt(i + 1)));
    const foreign = new ForeignTracingClient(e2e.server.grpcAddress);
    try {
      const first = await foreign.call<{ events: unknown[] }>("GetTraceEvents", { trace_id: Buffer.from(root.traceId), page_size: 5000 });
      expect(first.events).toHaveLength(7);
    } finally {
      foreign.close();
    }
    // The whole trace as one view is more than an answer may carry: refused, saying why and what to use instead.
    const tooLarge = await e2e.client.getTrace({ traceId: root.traceId }).catch((e: unknown) => e);
    expect(connectError(tooLarge)).toMatchObject({ code: "resource_exhausted", reason: "TRACE_TOO_LARGE" });
    expect((tooLarge as Error).message).toContain("GetTraceEvents");
  });

  it("refuses a token with another trace or range than it was issued for, a negative page_size, and a range that ends before it starts", async () => {
    const a = await e2e.client.startTrace({ name: "a", serviceName: "paging-checks" });
    await e2e.client.endSpan({ traceparent: a.traceparent });
    const b = await e2e.client.startTrace({ name: "b", serviceName: "paging-checks" });
    await e2e.client.endSpan({ traceparent: b.traceparent });
    const pageOfA = await e2e.client.getTraceEvents({ traceId: a.traceId, pageSize: 2 });
    expect(pageOfA.nextPageToken).not.toBe("");
    const refused = (request: Parameters<typeof e2e.client.getTraceEvents>[0]) =>
      e2e.client.getTraceEvents(request).then(
        (r) => `OK: ${r.events.map((e) => e.streamVersion).join(",")}`,
        (error: unknown) => connectError(error).reason,
      );
    expect({
      otherTrace: await refused({ traceId: b.traceId, pageSize: 2, pageToken: pageOfA.nextPageToken }),
      otherRange: await refused({ traceId: a.traceId, pageSize: 2, toVersion: 3n, pageToken: pageOfA.nextPageToken }),
      sameRequest: await refused({ traceId: a.traceId, pageSize: 2, pageToken: pageOfA.nextPageToken }),
      negativePageSize: await refused({ traceId: a.traceId, pageSize: -1 }),
      backwards: await refused({ traceId: a.traceId, afterVersion: 3n, toVersion: 2n }),
      empty: await refused({ traceId: a.traceId, afterVersion: 3n, toVersion: 3n }),
    }).toEqual({
      otherTrace: "INVALID_PAGE_TOKEN",
      otherRange: "INVALID_PAGE_TOKEN",
      sameRequest: "OK: 3,4",
      negativePageSize: "INVALID_PAGE_SIZE",
      backwards: "INVALID_VERSION_RANGE",
      empty: "OK: ",
    });
  });
});

describe("WatchTrace", () => {
  it("replays from after_version=0, then sends events live as they are committed, and ends after TraceCompleted", async () => {
    const root = await e2e.client.startTrace({ name: "root", serviceName: "watch" });
    const abort = new AbortController();
    try {
      const watch = readIterable(e2e.client.watchTrace({ traceId: root.traceId, afterVersion: 0n }, { signal: abort.signal }));
      const replay = await watch.take(2, WAIT_MS, "the replay of the trace's first two events");
      expect(replay.map((r) => r.event!.event!.event.case)).toEqual(["traceStarted", "spanStarted"]);

      const child = await e2e.client.startSpan({ traceparent: root.traceparent, name: "child", serviceName: "watch" });
      const live1 = await watch.next(WAIT_MS, "SpanStarted of the child, live");
      expect(live1.event!.event!.event.case).toBe("spanStarted");
      expect(live1.event!.streamVersion).toBe(child.traceVersion);

      const childEnd = await e2e.client.endSpan({ traceparent: child.traceparent });
      const live2 = await watch.next(WAIT_MS, "SpanEnded of the child, live");
      expect(live2.event!.event!.event.case).toBe("spanEnded");
      expect(live2.event!.streamVersion).toBe(childEnd.traceVersion);

      await e2e.client.endSpan({ traceparent: root.traceparent });
      const last = await watch.take(2, WAIT_MS, "SpanEnded of the root and TraceCompleted, live");
      expect(last.map((r) => [r.event!.event!.event.case, r.event!.streamVersion])).toEqual([
        ["spanEnded", 5n],
        ["traceCompleted", 6n],
      ]);
      expect(await watch.ending(WAIT_MS, "the stream to end after TraceCompleted")).toEqual({ ok: true });
    } finally {
      abort.abort();
    }
  });

  it("resumes from a version with only the later events", async () => {
    const root = await e2e.client.startTrace({ name: "root", serviceName: "watch" });
    for (let i = 0; i < 3; i++) await e2e.client.addSpanEvent({ traceparent: root.traceparent, eventId: `e${i}`, name: "e" });
    await e2e.client.endSpan({ traceparent: root.traceparent });
    // versions: 1 TraceStarted, 2 SpanStarted, 3-5 events, 6 SpanEnded, 7 TraceCompleted
    const abort = new AbortController();
    try {
      const watch = readIterable(e2e.client.watchTrace({ traceId: root.traceId, afterVersion: 4n }, { signal: abort.signal }));
      const rest = await watch.take(3, WAIT_MS, "the events after version 4");
      expect(rest.map((r) => r.event!.streamVersion)).toEqual([5n, 6n, 7n]);
      expect(await watch.ending(WAIT_MS, "the resumed stream to end after TraceCompleted")).toEqual({ ok: true });
    } finally {
      abort.abort();
    }
  });

  it("follows a trace that does not exist yet, through the foreign grpc-js client", async () => {
    const foreign = new ForeignTracingClient(e2e.server.grpcAddress);
    const traceId = newTraceId();
    const rootId = newSpanId();
    const watch = foreign.watch({ trace_id: traceId, after_version: "0" });
    try {
      await e2e.client.startTrace({ traceId, spanId: rootId, name: "late root", serviceName: "watch" });
      const first = await watch.reader.take(2, WAIT_MS, "the trace's first events after it was created");
      expect(first.map(eventCase)).toEqual(["trace_started", "span_started"]);
      await e2e.client.endSpan({ traceId, spanId: rootId });
      const rest = await watch.reader.take(2, WAIT_MS, "SpanEnded and TraceCompleted");
      expect(rest.map(eventCase)).toEqual(["span_ended", "trace_completed"]);
      expect(rest.map(streamVersion)).toEqual(["3", "4"]);
      expect(await watch.reader.ending(WAIT_MS, "the stream to end after TraceCompleted")).toEqual({ ok: true });
    } finally {
      watch.cancel();
      foreign.close();
    }
  });

  it("ends at once when resumed after the TraceCompleted event it has already seen", async () => {
    // A watcher that received TraceCompleted but lost the connection before the
    // stream's end resumes from TraceCompleted's version. Nothing can follow a
    // completed trace, so the stream must end rather than wait forever.
    const root = await e2e.client.startTrace({ name: "root", serviceName: "watch" });
    const done = await e2e.client.endSpan({ traceparent: root.traceparent });
    expect(done.traceCompleted).toBe(true);
    const abort = new AbortController();
    try {
      const watch = readIterable(e2e.client.watchTrace({ traceId: root.traceId, afterVersion: done.traceVersion }, { signal: abort.signal }));
      expect(await watch.ending(5_000, "WatchTrace resumed after TraceCompleted to end")).toEqual({ ok: true });
    } finally {
      abort.abort();
    }
  });

  it("ends when the trace it waits past the end of completes", async () => {
    // A client resuming from a version it was told about elsewhere (a later one than the trace
    // has reached yet): once the trace completes below that version, nothing more can come.
    const root = await e2e.client.startTrace({ name: "root", serviceName: "watch" });
    const abort = new AbortController();
    try {
      const watch = readIterable(e2e.client.watchTrace({ traceId: root.traceId, afterVersion: root.traceVersion + 5n }, { signal: abort.signal }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const done = await e2e.client.endSpan({ traceparent: root.traceparent });
      expect(done.traceCompleted).toBe(true);
      expect(done.traceVersion).toBeLessThan(root.traceVersion + 5n);
      expect(await watch.ending(5_000, "WatchTrace past the end to end once the trace completed")).toEqual({ ok: true });
    } finally {
      abort.abort();
    }
  });
});

describe("IngestBatch", () => {
  it("applies 1,000 commands for 100 traces in one call, one result per command in order; a bad command fails alone", async () => {
    const TRACES = 100;
    const CHILDREN = 4;
    const badTrace = 37;
    const unknownSpan = newSpanId();
    const traces = Array.from({ length: TRACES }, () => ({ traceId: newTraceId(), root: newSpanId(), children: Array.from({ length: CHILDREN }, () => newSpanId()) }));

    // Interleaved step by step across traces: a trace's commands are far apart in the batch but in order.
    type Step = { trace: number; command: TracingCommand; expect: string };
    const steps: Step[] = [];
    const add = (trace: number, expectCase: string, command: MessageInitShape<typeof TracingCommandSchema>["command"]) =>
      steps.push({ trace, expect: expectCase, command: create(TracingCommandSchema, { command }) });
    traces.forEach((t, i) => add(i, "startTrace", { case: "startTrace", value: { traceId: t.traceId, spanId: t.root, name: `root ${i}`, serviceName: "batch" } }));
    for (let c = 0; c < CHILDREN; c++) {
      traces.forEach((t, i) =>
        add(i, "startSpan", { case: "startSpan", value: { traceId: t.traceId, parentSpanId: t.root, spanId: t.children[c]!, name: `child ${c}`, serviceName: "batch-worker" } }),
      );
    }
    for (let c = 0; c < CHILDREN; c++) {
      traces.forEach((t, i) => {
        const bad = i === badTrace && c === CHILDREN - 1;
        add(i, bad ? "error" : "endSpan", { case: "endSpan", value: { traceId: t.traceId, spanId: bad ? unknownSpan : t.children[c]!, status: { code: StatusCode.OK } } });
      });
    }
    traces.forEach((t, i) => add(i, "endSpan", { case: "endSpan", value: { traceId: t.traceId, spanId: t.root } }));
    expect(steps).toHaveLength(1000);
    const response = await e2e.client.ingestBatch({ commands: steps.map((s) => s.command) });
    expect(response.results).toHaveLength(1000);
    expect(response.results.map((r) => r.result.case)).toEqual(steps.map((s) => s.expect));

    const failures = response.results.filter((r) => r.result.case === "error");
    expect(failures).toHaveLength(1);
    const failure = failures[0]!.result.value as { code: number; reason: string; metadata: Record<string, string> };
    expect(failure).toMatchObject({ code: Code.NotFound, reason: "SPAN_NOT_FOUND" });
    expect(failure.metadata["span_id"]).toBe(hex(unknownSpan));

    // Each started span echoes its own ids; each root's end completed its trace, except the bad trace's.
    steps.forEach((s, i) => {
      const result = response.results[i]!.result;
      if (result.case === "startSpan") expect(hex(result.value.spanId)).toBe(hex(s.command.command.value!.spanId));
      if (result.case === "startTrace") expect(hex(result.value.traceId)).toBe(hex(traces[s.trace]!.traceId));
    });
    const rootEnds = response.results.slice(900);
    expect(rootEnds.map((r) => (r.result.case === "endSpan" ? r.result.value.traceCompleted : undefined))).toEqual(traces.map((_, i) => i !== badTrace));
    const streams = await Promise.all(traces.map((t) => eventTypes(t.traceId)));
    for (const [i, types] of streams.entries()) {
      if (i === badTrace) {
        expect(types.filter((x) => x === "spanEnded")).toHaveLength(CHILDREN); // 3 children + root; the bad end wrote nothing
        expect(types).not.toContain("traceCompleted");
      } else {
        expect(types).toHaveLength(2 + CHILDREN + CHILDREN + 1 + 1);
        expect(types.at(-1)).toBe("traceCompleted");
      }
    }
    const listed = await listedWhen(
      e2e.server.projector,
      () => e2e.client.listTraces({ serviceName: "batch-worker", pageSize: 1000 }),
      (l) => l.traces.length === TRACES && l.traces.filter((t) => t.state === TraceState.COMPLETED).length === TRACES - 1,
      "ListTraces to list the batch's 100 traces, 99 of them completed",
    );
    expect(listed.traces).toHaveLength(TRACES);
    expect(listed.traces.filter((t) => t.state === TraceState.OPEN).map((t) => hex(t.traceId))).toEqual([hex(traces[badTrace]!.traceId)]);
  });

  it("rejects a batch larger than TRACELEDGER_MAX_BATCH_COMMANDS as a whole, writing nothing", async () => {
    const small = await startServer(e2e.db.url, { TRACELEDGER_MAX_BATCH_COMMANDS: "3" });
    try {
      const smallClient = connectClient(small.grpcAddress);
      const traceId = newTraceId();
      const commands = Array.from({ length: 4 }, () =>
        create(TracingCommandSchema, { command: { case: "startSpan", value: { traceparent: traceparentOf(traceId, newSpanId()), name: "x", serviceName: "batch", startTimeUnixNano: nowNanos() } } }),
      );
      const thrown = await smallClient.ingestBatch({ commands }).catch((e: unknown) => e);
      expect(connectError(thrown)).toMatchObject({ code: "invalid_argument", reason: "BATCH_TOO_LARGE", domain: "traceledger.dev" });
      expect(await allEvents(traceId)).toHaveLength(0);
    } finally {
      await small.stop();
    }
  });
});
