// The DistributedTracingSaga on the real server, over gRPC with the generated
// clients, with small thresholds from the environment: a slow span is alerted
// while it still runs, an orphan is closed and its trace completes, an error
// rate is raised and resolved, running spans are listed and watched, and every
// alert event reaches a real HTTP receiver that fails before it recovers.

import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  AlertKind,
  AlertResolveReason,
  AlertState,
  MonitoringService,
  SpanEndReason,
  SpanState,
  StatusCode,
  TraceState,
  type MonitoringEventEnvelope,
  type WatchAlertsResponse,
} from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { connectError } from "./support/error-details.js";
import { hex, newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";
import { readIterable, type StreamReader } from "./support/stream-reader.js";
import { until, within } from "./support/wait.js";

type MonitoringClient = Client<typeof MonitoringService>;

interface Delivery {
  readonly status: number;
  readonly key: string;
  readonly body: { eventId?: string; streamVersion?: string; event?: { alertRaised?: { alertId: string }; alertResolved?: { alertId: string } } };
}

let db: TestDatabase;
let server: Traceledger;
let tracing: TracingClient;
let monitoring: MonitoringClient;
let receiver: Server;
const deliveries: Delivery[] = [];
let alerts: StreamReader<WatchAlertsResponse>;
const abort = new AbortController();

beforeAll(async () => {
  db = await createTestDatabase();
  // The webhook's receiver: the first delivery fails with 503 and Retry-After, later ones succeed.
  receiver = createServer((request: IncomingMessage, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      const status = deliveries.length === 0 ? 503 : 200;
      deliveries.push({ status, key: String(request.headers["idempotency-key"]), body: JSON.parse(text) as Delivery["body"] });
      response.writeHead(status, status === 503 ? { "retry-after": "1" } : {}).end();
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  server = await startServer(db.url, {
    MONITORING_SLOW_SPAN_MS: "400",
    // A span of checkout-renamed is slow after 10 minutes, unless it ends as POST /pay/{id}.
    MONITORING_SLOW_SPAN_OVERRIDES: "checkout-renamed=600000,checkout-renamed/POST /pay/{id}=100",
    MONITORING_SLOW_TRACE_MS: "600000",
    MONITORING_ORPHAN_TIMEOUT_MS: "4000",
    MONITORING_ERROR_RATE_MIN_SAMPLES: "5",
    MONITORING_TICK_MS: "50",
    MONITORING_LEASE_MS: "3000",
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`,
  });
  tracing = connectClient(server.grpcAddress);
  monitoring = createClient(MonitoringService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
  alerts = readIterable(monitoring.watchAlerts({ afterVersion: 0n }, { signal: abort.signal }));
});

afterAll(async () => {
  abort.abort();
  await server?.stop();
  receiver?.close();
  await db?.drop();
});

/** Reads WatchAlerts until an event matches; earlier events stay read. */
async function nextAlert(what: string, match: (e: MonitoringEventEnvelope) => boolean): Promise<MonitoringEventEnvelope> {
  return within(20_000, what, (async () => {
    for (;;) {
      const { event } = await alerts.next(20_000, what);
      if (event && match(event)) return event;
    }
  })());
}

function raisedFor(spanId: Uint8Array, kind: AlertKind) {
  return (e: MonitoringEventEnvelope) =>
    e.event?.event.case === "alertRaised" &&
    e.event.event.value.kind === kind &&
    e.event.event.value.subject?.subject.case === "span" &&
    hex(e.event.event.value.subject.subject.value.spanId) === hex(spanId);
}

describe("monitoring on the real server", () => {
  it("alerts on a slow span while it is still open, and resolves the alert with its duration when it ends", async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    await tracing.startTrace({ traceId, spanId, name: "POST /checkout", serviceName: "checkout-slow" });

    const raised = await nextAlert("the slow-span alert", raisedFor(spanId, AlertKind.SLOW_SPAN));
    // Still running: nothing ended it yet, and the saga says so.
    const trace = (await tracing.getTrace({ traceId })).trace!;
    expect(trace.spans[0]!.state).toBe(SpanState.RUNNING);
    const listed = await monitoring.listActiveSpans({ serviceName: "checkout-slow" });
    expect(listed.spans.map((s) => [hex(s.spanId), s.slow])).toEqual([[hex(spanId), true]]);
    expect(raised.event!.event.case === "alertRaised" && raised.event!.event.value).toMatchObject({
      alertId: `slow_span:${hex(traceId)}:${hex(spanId)}`,
      threshold: 400_000_000,
      message: 'span "POST /checkout" of checkout-slow has run longer than 400 ms',
    });

    await tracing.endSpan({ traceId, spanId, status: { code: StatusCode.OK } });
    const resolved = await nextAlert("the slow-span resolution", (e) => e.event?.event.case === "alertResolved" && e.event.event.value.alertId === raised.event!.event.value!.alertId);
    expect(resolved.event!.event.value).toMatchObject({ reason: AlertResolveReason.SPAN_ENDED });
    expect(resolved.streamVersion).toBeGreaterThan(raised.streamVersion);
  });

  it("judges a span renamed as it ends by its final name's override when that is lower: an HTTP server span that learnt its route", async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    await tracing.startTrace({ traceId, spanId, name: "POST", serviceName: "checkout-renamed" });
    // Running, it has its start name's threshold: the service's 10 minutes.
    const listed = await until(10_000, "the span to be listed", async () => {
      const { spans } = await monitoring.listActiveSpans({ serviceName: "checkout-renamed" });
      return spans.length > 0 ? spans : undefined;
    }, 20);
    expect(listed.map((s) => s.slowThresholdNano)).toEqual([600_000_000_000n]);
    // Longer than the final name's 100 ms, and ticks (every 50 ms) watched it run under "POST" without raising.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await tracing.endSpan({ traceId, spanId, name: "POST /pay/{id}", status: { code: StatusCode.OK } });
    const raised = await nextAlert("the renamed span's slow-span alert", raisedFor(spanId, AlertKind.SLOW_SPAN));
    expect(raised.event!.event.case === "alertRaised" && raised.event!.event.value).toMatchObject({
      alertId: `slow_span:${hex(traceId)}:${hex(spanId)}`,
      threshold: 100_000_000,
      message: 'span "POST /pay/{id}" of checkout-renamed has run longer than 100 ms',
      subject: { subject: { case: "span", value: { spanName: "POST /pay/{id}" } } },
    });
    const resolved = await nextAlert("its resolution", (e) => e.event?.event.case === "alertResolved" && e.event.event.value.alertId === raised.event!.event.value!.alertId);
    expect(resolved.event!.event.value).toMatchObject({ reason: AlertResolveReason.SPAN_ENDED });
  });

  it("lists the alerts of a service whose name PostgreSQL's text cannot hold as it is (U+0000, past a btree entry), and those after it", async () => {
    const odd = `nul\u0000${"x".repeat(4000)}`;
    const first = { traceId: newTraceId(), spanId: newSpanId() };
    const second = { traceId: newTraceId(), spanId: newSpanId() };
    await tracing.startTrace({ ...first, name: "odd", serviceName: odd });
    await nextAlert("the odd service's slow-span alert", raisedFor(first.spanId, AlertKind.SLOW_SPAN));
    await tracing.startTrace({ ...second, name: "plain", serviceName: "after-odd" });
    await nextAlert("the next slow-span alert", raisedFor(second.spanId, AlertKind.SLOW_SPAN));
    const listed = await until(10_000, "both alerts listed", async () => {
      const [a, b] = await Promise.all([monitoring.listAlerts({ serviceName: odd }), monitoring.listAlerts({ serviceName: "after-odd" })]);
      return a.alerts.length === 1 && b.alerts.length === 1 ? a : undefined;
    });
    expect(listed.alerts[0]!.raised).toMatchObject({ alertId: `slow_span:${hex(first.traceId)}:${hex(first.spanId)}` });
    await tracing.endSpan({ ...first });
    await tracing.endSpan({ ...second });
  });

  it("gives every page of a listing the first page's as_of_version: WatchAlerts from it misses no alert raised while paging", async () => {
    const spans = [0, 1, 2].map(() => ({ traceId: newTraceId(), spanId: newSpanId() }));
    const listedCount = (n: number) => until(10_000, `${n} alerts listed`, async () => ((await monitoring.listAlerts({ serviceName: "paged-alerts" })).alerts.length === n ? true : undefined));
    for (const span of spans.slice(0, 2)) {
      await tracing.startTrace({ ...span, name: "slow", serviceName: "paged-alerts" });
      await nextAlert("a slow-span alert", raisedFor(span.spanId, AlertKind.SLOW_SPAN));
    }
    await listedCount(2);
    const first = await monitoring.listAlerts({ serviceName: "paged-alerts", pageSize: 1 });
    // Raised between the pages: newer than the first page, so on none of the later ones.
    await tracing.startTrace({ ...spans[2]!, name: "slow", serviceName: "paged-alerts" });
    await nextAlert("the third slow-span alert", raisedFor(spans[2]!.spanId, AlertKind.SLOW_SPAN));
    await listedCount(3);
    const second = await monitoring.listAlerts({ serviceName: "paged-alerts", pageSize: 1, pageToken: first.nextPageToken });
    expect(second.alerts).toHaveLength(1);
    expect(second.asOfVersion).toBe(first.asOfVersion);
    const watch = new AbortController();
    const resumed = readIterable(monitoring.watchAlerts({ afterVersion: second.asOfVersion }, { signal: watch.signal }));
    try {
      for (;;) {
        const { event } = await resumed.next(10_000, "the third alert's raise, resumed from the listing");
        if (event && raisedFor(spans[2]!.spanId, AlertKind.SLOW_SPAN)(event)) break;
      }
    } finally {
      watch.abort();
    }
    for (const span of spans) await tracing.endSpan({ ...span });
  });

  it("closes a span left open past the orphan timeout with an orphaned end, and its trace completes", async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    await tracing.startTrace({ traceId, spanId, name: "consume job", serviceName: "worker-orphan" });
    const events = readIterable(tracing.watchTrace({ traceId, afterVersion: 0n }, { signal: abort.signal }));
    const cases = (await events.take(4, 20_000, "the trace's events up to its completion")).map((r) => r.event!.event!.event.case);
    expect(cases).toEqual(["traceStarted", "spanStarted", "spanOrphaned", "traceCompleted"]);
    const trace = (await tracing.getTrace({ traceId })).trace!;
    expect(trace.state).toBe(TraceState.COMPLETED);
    expect(trace.spans[0]).toMatchObject({ state: SpanState.ORPHANED, endReason: SpanEndReason.ORPHANED });
    // The saga reads the close back from the log a moment later.
    await until(10_000, "the orphan to leave the active spans", async () => ((await monitoring.listActiveSpans({ serviceName: "worker-orphan" })).spans.length === 0 ? true : undefined), 20);
  });

  it("refuses the late end and error of a job that outlived the orphan timeout, saying traceledger closed it as an orphan, when and after how long", async () => {
    const ids = { traceId: newTraceId(), spanId: newSpanId() };
    await tracing.startTrace({ ...ids, name: "nightly export", serviceName: "batch-orphan" });
    const events = readIterable(tracing.watchTrace({ traceId: ids.traceId, afterVersion: 0n }, { signal: abort.signal }));
    await events.take(4, 20_000, "the job's span closed as an orphan and its trace completed");
    const span = (await tracing.getTrace({ traceId: ids.traceId })).trace!.spans[0]!;
    const refused = await Promise.all([
      tracing.recordError({ ...ids, errorType: "DiskFull", message: "export failed" }).catch((e: unknown) => e),
      tracing.endSpan({ ...ids, status: { code: StatusCode.ERROR, message: "export failed" } }).catch((e: unknown) => e),
    ]);
    for (const thrown of refused) {
      expect(connectError(thrown)).toEqual({
        code: "failed_precondition",
        reason: "SPAN_ALREADY_ENDED",
        domain: "traceledger.dev",
        metadata: {
          trace_id: hex(ids.traceId),
          span_id: hex(ids.spanId),
          end_reason: "SPAN_END_REASON_ORPHANED",
          end_time_unix_nano: String(span.endTimeUnixNano),
          open_duration_nano: String(span.endTimeUnixNano - span.startTimeUnixNano),
        },
      });
      const closedAt = new Date(Number(span.endTimeUnixNano / 1_000_000n)).toISOString();
      expect((thrown as Error).message).toContain(`span ${hex(ids.spanId)} was closed as an orphan at ${closedAt} after `);
      expect((thrown as Error).message).toContain("open without an end (MONITORING_ORPHAN_TIMEOUT_MS)");
    }
    // Nothing of the late calls was stored: the span stays as traceledger closed it.
    const after = (await tracing.getTrace({ traceId: ids.traceId })).trace!.spans[0]!;
    expect(after).toMatchObject({ state: SpanState.ORPHANED, endReason: SpanEndReason.ORPHANED, errors: [] });
  });

  it("raises an error-rate alert above the threshold and resolves it when the rate falls below it", async () => {
    const service = `payments-${hex(newSpanId())}`;
    const span = async (status: StatusCode) => {
      const start = nowNanos();
      const ids = { traceId: newTraceId(), spanId: newSpanId() };
      await tracing.startTrace({ ...ids, name: "charge", serviceName: service, startTimeUnixNano: start });
      await tracing.endSpan({ ...ids, endTimeUnixNano: start + 1_000_000n, status: { code: status } });
      return ids;
    };
    for (let i = 0; i < 4; i++) await span(StatusCode.ERROR);
    const fifth = await span(StatusCode.ERROR);
    const isServiceRate = (e: MonitoringEventEnvelope) => {
      const v = e.event?.event.value;
      return v?.kind === AlertKind.ERROR_RATE && v.subject?.subject.case === "service" && v.subject.subject.value.serviceName === service;
    };
    const raised = await nextAlert("the service's error-rate alert", (e) => e.event?.event.case === "alertRaised" && isServiceRate(e));
    expect(raised.event!.event.case === "alertRaised" && raised.event!.event.value).toMatchObject({ value: 1, samples: 5, errors: 5, threshold: 0.1 });
    expect(raised.event!.event.case === "alertRaised" && hex(raised.event!.event.value.exemplars[0]!.spanId)).toBe(hex(fifth.spanId));

    // 45 good calls: 5 errors in 50 is 10%, no longer above the threshold.
    for (let i = 0; i < 45; i++) await span(StatusCode.OK);
    const resolved = await nextAlert("the error-rate resolution", (e) => e.event?.event.case === "alertResolved" && isServiceRate(e));
    expect(resolved.event!.event.value).toMatchObject({ reason: AlertResolveReason.BELOW_THRESHOLD, value: 0.1 });

    const listed = await until(10_000, "ListAlerts to show the resolved alert", async () => {
      const page = await monitoring.listAlerts({ serviceName: service, kind: AlertKind.ERROR_RATE });
      return page.alerts.length === 2 && page.alerts.every((a) => a.state === AlertState.RESOLVED) ? page : undefined;
    }, 50);
    expect(listed.alerts.map((a) => a.raised!.subject!.subject.case).sort()).toEqual(["operation", "service"]);
    expect(listed.asOfVersion).toBeGreaterThanOrEqual(resolved.streamVersion);
  });

  it("lists running spans by service and age, page by page, and watches them start, turn slow and stop", async () => {
    const service = `inventory-${hex(newSpanId())}`;
    const watch = readIterable(monitoring.watchActiveSpans({ serviceName: service }, { signal: abort.signal }));
    const snapshot = await watch.next(10_000, "the (empty) snapshot");
    expect(snapshot).toMatchObject({ upserted: [], stopped: [], snapshotComplete: true });

    const traceId = newTraceId();
    const root = newSpanId();
    const child = newSpanId();
    const old = nowNanos() - 60_000_000_000n;
    await tracing.startTrace({ traceId, spanId: root, name: "reserve", serviceName: service, startTimeUnixNano: old });
    await tracing.startSpan({ traceId, spanId: child, parentSpanId: root, name: "lock rows", serviceName: service });
    await tracing.startTrace({ traceId: newTraceId(), spanId: newSpanId(), name: "other", serviceName: `${service}-other` });

    const seen = new Map<string, { slow: boolean }>();
    await until(10_000, "both spans started, the old one slow", async () => {
      const { upserted } = await watch.next(10_000, "active span changes");
      for (const s of upserted) seen.set(hex(s.spanId), { slow: s.slow });
      return seen.get(hex(root))?.slow && seen.has(hex(child)) ? true : undefined;
    }, 0);

    const all = await monitoring.listActiveSpans({ serviceName: service });
    expect(all.spans.map((s) => hex(s.spanId))).toEqual([hex(root), hex(child)]);
    expect(all.spans[0]!.runningNano).toBeGreaterThanOrEqual(60_000_000_000n);
    const first = await monitoring.listActiveSpans({ serviceName: service, pageSize: 1 });
    const second = await monitoring.listActiveSpans({ serviceName: service, pageSize: 1, pageToken: first.nextPageToken });
    expect([...first.spans, ...second.spans].map((s) => hex(s.spanId))).toEqual([hex(root), hex(child)]);
    expect(second.nextPageToken).toBe("");
    const oldOnes = await monitoring.listActiveSpans({ serviceName: service, minRunningNano: 30_000_000_000n });
    expect(oldOnes.spans.map((s) => hex(s.spanId))).toEqual([hex(root)]);
    // The same through the HTTP door, as curl would ask (Connect JSON: 64-bit numbers as strings).
    const response = await fetch(`http://${server.httpAddress}/traceledger.v1.MonitoringService/ListActiveSpans`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ serviceName: service, minRunningNano: "30000000000" }),
    });
    const json = (await response.json()) as { spans: Array<{ spanId: string; slow: boolean }> };
    expect(json.spans.map((s) => [Buffer.from(s.spanId, "base64").toString("hex"), s.slow])).toEqual([[hex(root), true]]);

    await tracing.endSpan({ traceId, spanId: child, status: { code: StatusCode.OK } });
    const stopped = await until(10_000, "the child's stop", async () => {
      const { stopped } = await watch.next(10_000, "active span changes");
      return stopped.find((s) => hex(s.spanId) === hex(child));
    }, 0);
    expect(stopped.reason).toBe(SpanEndReason.COMPLETED);
    await tracing.endSpan({ traceId, spanId: root, status: { code: StatusCode.OK } });
  });

  it("answers malformed requests with INVALID_ARGUMENT and an ErrorInfo", async () => {
    const reasons = await Promise.all([
      monitoring.listActiveSpans({ pageSize: -1 }).catch(connectError),
      monitoring.listActiveSpans({ pageToken: "bm90IG91cnM" }).catch(connectError),
      monitoring.listAlerts({ kind: 99 as AlertKind }).catch(connectError),
      monitoring.listAlerts({ state: 7 as AlertState }).catch(connectError),
    ]);
    expect(reasons.map((r) => ("code" in r ? [r.code, r.reason, r.domain] : r))).toEqual([
      ["invalid_argument", "INVALID_PAGE_SIZE", "traceledger.dev"],
      ["invalid_argument", "INVALID_PAGE_TOKEN", "traceledger.dev"],
      ["invalid_argument", "INVALID_ALERT_KIND", "traceledger.dev"],
      ["invalid_argument", "INVALID_ALERT_STATE", "traceledger.dev"],
    ]);

    // A page token does not continue a listing with other filters. Two alerts of this
    // test's own service (spans that were already slow when they ended), listed one per page.
    const service = `tokens-${hex(newSpanId())}`;
    for (let i = 0; i < 2; i++) {
      const ids = { traceId: newTraceId(), spanId: newSpanId() };
      const end = nowNanos();
      await tracing.startTrace({ ...ids, name: "slow call", serviceName: service, startTimeUnixNano: end - 1_000_000_000n });
      await tracing.endSpan({ ...ids, endTimeUnixNano: end, status: { code: StatusCode.OK } });
    }
    const page = await until(10_000, "ListAlerts to show both alerts of the service", async () => {
      const all = await monitoring.listAlerts({ serviceName: service });
      return all.alerts.length === 2 ? monitoring.listAlerts({ serviceName: service, pageSize: 1 }) : undefined;
    }, 50);
    expect(page.alerts).toHaveLength(1);
    expect(page.nextPageToken).not.toBe("");
    // With the same filters the token gives the other alert; with another filter it is refused.
    const rest = await monitoring.listAlerts({ serviceName: service, pageSize: 1, pageToken: page.nextPageToken });
    expect(rest.alerts.map((a) => a.alertId)).not.toContain(page.alerts[0]!.alertId);
    expect(rest.alerts).toHaveLength(1);
    const wrong = await monitoring.listAlerts({ serviceName: service, pageSize: 1, pageToken: page.nextPageToken, state: AlertState.OPEN }).catch(connectError);
    expect("code" in wrong ? [wrong.code, wrong.reason] : wrong).toEqual(["invalid_argument", "INVALID_PAGE_TOKEN"]);
  });

  it("posts every alert event to the webhook, retrying after a failure, with the event id as Idempotency-Key", async () => {
    // Alerts may still be coming (resolutions of earlier tests): wait until the hook has exactly what the stream has.
    const stream = await until(30_000, "the webhook to have received every alert event of the stream", async () => {
      const events = await db.sql<{ event_id: string; version: number }[]>`
        select event_id::text, version from events where trace_id = ${Buffer.alloc(16)} order by version`;
      const keys = new Set(deliveries.filter((d) => d.status === 200).map((d) => d.key));
      return events.length > 0 && events.length === keys.size && events.every((e) => keys.has(e.event_id)) ? events : undefined;
    }, 50);
    expect(deliveries[0]!.status).toBe(503);
    // The failed delivery was retried with the same key, and each body is its event, in stream order.
    expect(deliveries[1]!.key).toBe(deliveries[0]!.key);
    const delivered = deliveries.filter((d) => d.status === 200);
    for (const d of delivered) expect(d.body.eventId).toBe(d.key);
    expect(delivered.map((d) => Number(d.body.streamVersion))).toEqual(stream.map((e) => e.version));
  });
});

describe("monitoring turned off", () => {
  it("answers FAILED_PRECONDITION with MONITORING_DISABLED and raises nothing", async () => {
    const off = await startServer(db.url, { MONITORING_ENABLED: "false", MONITORING_SLOW_SPAN_MS: "1" });
    try {
      const client = createClient(MonitoringService, createGrpcTransport({ baseUrl: `http://${off.grpcAddress}` }));
      const seen = await Promise.all([client.listActiveSpans({}).catch(connectError), client.listAlerts({}).catch(connectError)]);
      expect(seen.map((e) => ("reason" in e ? [e.code, e.reason] : e))).toEqual([
        ["failed_precondition", "MONITORING_DISABLED"],
        ["failed_precondition", "MONITORING_DISABLED"],
      ]);
      expect(off.monitoring.runner).toBeUndefined();
    } finally {
      await off.stop();
    }
  });
});

