// TRACELEDGER_ALERT_RETENTION on the real server, in real time (2 s, so a pass every
// second), the traces kept: an alert resolved longer ago than that is gone from
// ListAlerts, WatchAlerts and the monitoring stream, while an open alert, however
// old, stays; the deletions are counted in /metrics.

import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AlertState, MonitoringService } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { seriesOf } from "../support/prometheus-text.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { hex, newSpanId, newTraceId } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";
import { scrapeMetrics } from "./support/scrape-metrics.js";
import { readIterable } from "./support/stream-reader.js";
import { until } from "./support/wait.js";

let db: TestDatabase;
let server: Traceledger;
let tracing: TracingClient;
let monitoring: Client<typeof MonitoringService>;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer(db.url, {
    TRACELEDGER_ALERT_RETENTION: "2s",
    MONITORING_SLOW_SPAN_MS: "300",
    MONITORING_SLOW_TRACE_MS: "600000",
    MONITORING_TICK_MS: "50",
    TRACING_ENABLED: "false",
  });
  tracing = connectClient(server.grpcAddress);
  monitoring = createClient(MonitoringService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

async function slowSpan(service: string): Promise<{ traceId: Uint8Array; spanId: Uint8Array; alertId: string }> {
  const span = { traceId: newTraceId(), spanId: newSpanId() };
  await tracing.startTrace({ ...span, name: "report", serviceName: service });
  const alertId = `slow_span:${hex(span.traceId)}:${hex(span.spanId)}`;
  await until(10_000, `the slow-span alert of ${service}`, async () => ((await monitoring.listAlerts({ serviceName: service })).alerts.length === 1 ? true : undefined), 50);
  return { ...span, alertId };
}

describe("TRACELEDGER_ALERT_RETENTION", () => {
  it("deletes an alert resolved longer ago than the retention, and keeps an open one", async () => {
    const done = await slowSpan("finished");
    await tracing.endSpan({ traceId: done.traceId, spanId: done.spanId });
    await until(10_000, "the resolution", async () => ((await monitoring.listAlerts({ serviceName: "finished" })).alerts[0]?.state === AlertState.RESOLVED ? true : undefined), 50);
    // A second alert, left open: the stream's last event is never deleted, and an open alert stays.
    const open = await slowSpan("running");

    await until(20_000, "the resolved alert deleted", async () => ((await monitoring.listAlerts({ serviceName: "finished" })).alerts.length === 0 ? true : undefined), 200);
    const listed = await monitoring.listAlerts({});
    expect(listed.alerts.map((a) => [a.raised!.alertId, a.state])).toEqual([[open.alertId, AlertState.OPEN]]);
    // A watcher from the stream's start gets what is left; versions go on from where they were.
    const abort = new AbortController();
    const watch = readIterable(monitoring.watchAlerts({ afterVersion: 0n }, { signal: abort.signal }));
    const { event } = await watch.next(5000, "the first alert event left");
    abort.abort();
    expect(event!.streamVersion).toBe(3n);
    expect(event!.event?.event.case === "alertRaised" && event!.event.event.value.alertId).toBe(open.alertId);
    // The trace stays: traces are kept (no TRACELEDGER_RETENTION).
    expect((await tracing.getTrace({ traceId: done.traceId })).trace!.spans).toHaveLength(1);
    const { families } = await scrapeMetrics(server.httpAddress);
    expect(seriesOf(families.get("traceledger_retention_alerts_deleted_total")!)[0]!.value).toBe(1);
    await tracing.endSpan({ traceId: open.traceId, spanId: open.spanId });
  });
});
