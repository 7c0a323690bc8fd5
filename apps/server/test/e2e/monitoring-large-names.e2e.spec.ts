// Monitoring answers over gRPC stay within TRACELEDGER_MAX_MESSAGE_BYTES (64 KiB
// here) with long names: the saga keeps service and span names by their first
// 1,024 bytes, and ListActiveSpans, WatchActiveSpans, ListAlerts and WatchAlerts
// hold each page or message to half the limit (at least one item). Before, five
// running spans with 40 KB names made ListActiveSpans and WatchActiveSpans fail
// with RESOURCE_EXHAUSTED for every client, and their slow-span alerts (the name
// twice in each) did the same to ListAlerts, even with page_size 1, and to every
// WatchAlerts replay: alerts are kept, so for good.

import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AlertKind, MonitoringService, type ActiveSpan, type Alert } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { until } from "./support/wait.js";

const e2e = serverPerFile({
  TRACELEDGER_MAX_MESSAGE_BYTES: String(64 * 1024),
  MONITORING_SLOW_SPAN_MS: "300",
  MONITORING_TICK_MS: "50",
});

const SERVICE = "s".repeat(20_000);
const LONG = 5;
const SHORT = 40;

function monitoringClient(): Client<typeof MonitoringService> {
  return createClient(MonitoringService, createGrpcTransport({ baseUrl: `http://${e2e.server.grpcAddress}` }));
}

async function listSpans(monitoring: Client<typeof MonitoringService>): Promise<{ spans: ActiveSpan[]; pages: number }> {
  const spans: ActiveSpan[] = [];
  let pages = 0;
  let pageToken = "";
  do {
    const page = await monitoring.listActiveSpans({ serviceName: SERVICE, pageToken });
    spans.push(...page.spans);
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken !== "");
  return { spans, pages };
}

async function listAlerts(monitoring: Client<typeof MonitoringService>, pageSize = 0): Promise<Alert[]> {
  const alerts: Alert[] = [];
  let pageToken = "";
  do {
    const page = await monitoring.listAlerts({ serviceName: SERVICE, pageSize, pageToken });
    alerts.push(...page.alerts);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return alerts;
}

describe("monitoring with long names and a 64 KiB message limit", () => {
  it("lists, watches and alerts on running spans with 40 KB names, names cut to 1,024 bytes, every answer within the limit", async () => {
    const monitoring = monitoringClient();
    // A 20 KB service name and 40 KB span names: each StartTrace within the 64 KiB limit.
    for (let i = 0; i < LONG; i++) await e2e.client.startTrace({ traceId: newTraceId(), spanId: newSpanId(), name: `${i}`.padEnd(40_000, "n"), serviceName: SERVICE });
    // And 40 with names of 1,000 bytes: 40 of them in one answer would be past the limit too.
    for (let i = 0; i < SHORT; i++) await e2e.client.startTrace({ traceId: newTraceId(), spanId: newSpanId(), name: `short ${i}`.padEnd(1000, "n"), serviceName: SERVICE });

    // Filtered by the service's whole name: the saga knows it by its first 1,024 bytes, and so is the filter read.
    const { spans, pages } = await until(10_000, "every span listed", async () => {
      const listed = await listSpans(monitoring);
      return listed.spans.length === LONG + SHORT ? listed : undefined;
    });
    expect(pages).toBeGreaterThan(1);
    for (const span of spans) {
      expect(span.serviceName).toBe("s".repeat(1024));
      expect(Buffer.byteLength(span.name)).toBeLessThanOrEqual(1024);
    }
    expect(spans.filter((s) => s.name.length === 1024)).toHaveLength(LONG);

    const abort = new AbortController();
    const snapshot: ActiveSpan[] = [];
    let messages = 0;
    for await (const message of monitoring.watchActiveSpans({ serviceName: SERVICE }, { signal: abort.signal, timeoutMs: 10_000 })) {
      snapshot.push(...message.upserted);
      messages++;
      if (message.snapshotComplete) break;
    }
    abort.abort();
    expect(snapshot).toHaveLength(LONG + SHORT);
    expect(messages).toBeGreaterThan(1);

    // Every span is slow after 300 ms: one alert each, the name cut in its subject and message.
    const alerts = await until(20_000, "a slow-span alert for every span", async () => {
      const listed = await listAlerts(monitoring);
      return listed.length === LONG + SHORT ? listed : undefined;
    });
    for (const alert of alerts) {
      expect(alert.kind).toBe(AlertKind.SLOW_SPAN);
      expect(Buffer.byteLength(alert.raised!.message)).toBeLessThan(2 * 1024 + 100);
    }
    expect((await listAlerts(monitoring, 1)).length).toBe(LONG + SHORT);

    let replayed = 0;
    const replay = new AbortController();
    for await (const message of monitoring.watchAlerts({ afterVersion: 0n }, { signal: replay.signal, timeoutMs: 10_000 })) {
      if (message.event?.event?.event.case === "alertRaised") replayed++;
      if (replayed === LONG + SHORT) break;
    }
    replay.abort();
    expect(replayed).toBe(LONG + SHORT);
  }, 60_000);
});
