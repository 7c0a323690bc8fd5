// GET /metrics on the real server: spans sent through the gRPC API show up as
// spanmetrics-style calls and durations, labelled from what the server knows
// of each span; group commits are timed; the listing projector reports its lag.
// Each replica counts what it committed, so Prometheus' sum over replicas is
// the total. The exposition is parsed strictly, HELP and TYPE included.

import { create } from "@bufbuild/protobuf";
import { SpanKind, StatusCode, TracingCommandSchema, type TracingCommand } from "@traceledger/proto";
import { describe, expect, it, vi } from "vitest";
import { MAX_LABEL_VALUE_BYTES } from "../../src/metrics/label-value.js";
import { DEFAULT_MAX_SPAN_SERIES } from "../../src/metrics/span-metrics.js";
import { matching, seriesOf, type MetricFamily } from "../support/prometheus-text.js";
import { newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { connectClient, startServer } from "./support/in-process-server.js";
import { serverPerFile } from "./support/server-per-file.js";
import { scrapeMetrics } from "./support/scrape-metrics.js";

const e2e = serverPerFile();

const ms = 1_000_000n;

function family(families: Map<string, MetricFamily>, name: string): MetricFamily {
  const found = families.get(name);
  if (!found) throw new Error(`${name} is not exported`);
  return found;
}

/** The one sample of a series; fails when the labels match none or several. */
function sample(families: Map<string, MetricFamily>, name: string, labels: Record<string, string>, suffix = ""): number {
  const found = matching(seriesOf(family(families, name), suffix), labels);
  if (found.length !== 1) throw new Error(`${name}${suffix} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found[0]!.value;
}

const ORDERS_OK = { service_name: "metrics-checkout", span_name: "POST /orders", span_kind: "SPAN_KIND_SERVER", status_code: "STATUS_CODE_OK" };
const CHARGE_ERROR = { service_name: "metrics-payments", span_name: "charge card", span_kind: "SPAN_KIND_CLIENT", status_code: "STATUS_CODE_ERROR" };
const STOCK_UNSET = { service_name: "metrics-inventory", span_name: "GET /stock", span_kind: "SPAN_KIND_SERVER", status_code: "STATUS_CODE_UNSET" };

describe("GET /metrics", () => {
  it("counts the spans this server committed, with spanmetrics labels, duration buckets, append latency and projector lag", async () => {
    const base = nowNanos() - 60_000n * ms;
    // An order that took 120 ms, whose card charge (another service) failed after 30 ms.
    const order = newTraceId();
    const root = newSpanId();
    const charge = newSpanId();
    await e2e.client.startTrace({ traceId: order, spanId: root, name: "POST /orders", kind: SpanKind.SERVER, serviceName: "metrics-checkout", startTimeUnixNano: base });
    await e2e.client.startSpan({ traceId: order, parentSpanId: root, spanId: charge, name: "charge card", kind: SpanKind.CLIENT, serviceName: "metrics-payments", startTimeUnixNano: base + 10n * ms });
    await e2e.client.endSpan({ traceId: order, spanId: charge, endTimeUnixNano: base + 40n * ms, status: { code: StatusCode.ERROR, message: "declined" } });
    await e2e.client.endSpan({ traceId: order, spanId: root, endTimeUnixNano: base + 120n * ms, status: { code: StatusCode.OK } });
    // A second order that took 2 s.
    const slow = newTraceId();
    const slowRoot = newSpanId();
    await e2e.client.startTrace({ traceId: slow, spanId: slowRoot, name: "POST /orders", kind: SpanKind.SERVER, serviceName: "metrics-checkout", startTimeUnixNano: base });
    await e2e.client.endSpan({ traceId: slow, spanId: slowRoot, endTimeUnixNano: base + 2000n * ms, status: { code: StatusCode.OK } });
    // A stock check with no status, whose end is sent twice (a client retry): one call.
    const stock = newTraceId();
    const stockRoot = newSpanId();
    await e2e.client.startTrace({ traceId: stock, spanId: stockRoot, name: "GET /stock", kind: SpanKind.SERVER, serviceName: "metrics-inventory", startTimeUnixNano: base });
    const end = { traceId: stock, spanId: stockRoot, endTimeUnixNano: base + 5n * ms };
    await e2e.client.endSpan(end);
    await e2e.client.endSpan(end);
    await e2e.server.projector.catchUp();

    const { contentType, families } = await scrapeMetrics(e2e.server.httpAddress);
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");

    // Every family the server documents, with its type and a HELP text.
    const types: Record<string, string> = {
      calls_total: "counter",
      duration_seconds: "histogram",
      traceledger_spans_orphaned_total: "counter",
      traceledger_active_spans: "gauge",
      traceledger_alerts_raised_total: "counter",
      traceledger_alerts_resolved_total: "counter",
      traceledger_alerts_open: "gauge",
      traceledger_monitoring_stats_evicted_total: "counter",
      traceledger_subscriber_lag_seconds: "gauge",
      traceledger_event_store_append_duration_seconds: "histogram",
      traceledger_events_appended_total: "counter",
      process_cpu_seconds_total: "counter",
      nodejs_eventloop_lag_seconds: "gauge",
    };
    for (const [name, type] of Object.entries(types)) {
      expect(family(families, name).type, name).toBe(type);
      expect(family(families, name).help, name).toMatch(/\w/);
    }

    // calls_total: one series per service, span name, kind and status, and nothing else of ours.
    const calls = seriesOf(family(families, "calls_total"));
    expect(calls.map((s) => [s.labels, s.value])).toEqual(
      expect.arrayContaining([
        [ORDERS_OK, 2],
        [CHARGE_ERROR, 1],
        [STOCK_UNSET, 1],
      ]),
    );
    expect(calls).toHaveLength(3);

    // duration_seconds: cumulative buckets at the right bounds, the count and the sum.
    expect(sample(families, "duration_seconds", { ...ORDERS_OK, le: "0.1" }, "_bucket")).toBe(0);
    expect(sample(families, "duration_seconds", { ...ORDERS_OK, le: "0.25" }, "_bucket")).toBe(1);
    expect(sample(families, "duration_seconds", { ...ORDERS_OK, le: "1" }, "_bucket")).toBe(1);
    expect(sample(families, "duration_seconds", { ...ORDERS_OK, le: "2.5" }, "_bucket")).toBe(2);
    expect(sample(families, "duration_seconds", { ...ORDERS_OK, le: "+Inf" }, "_bucket")).toBe(2);
    expect(sample(families, "duration_seconds", ORDERS_OK, "_count")).toBe(2);
    expect(sample(families, "duration_seconds", ORDERS_OK, "_sum")).toBeCloseTo(2.12, 9);
    expect(sample(families, "duration_seconds", { ...CHARGE_ERROR, le: "0.025" }, "_bucket")).toBe(0);
    expect(sample(families, "duration_seconds", { ...CHARGE_ERROR, le: "0.05" }, "_bucket")).toBe(1);
    expect(sample(families, "duration_seconds", CHARGE_ERROR, "_sum")).toBeCloseTo(0.03, 9);
    expect(sample(families, "duration_seconds", STOCK_UNSET, "_count")).toBe(1);

    // Group commits: timed, and every event in the store was counted once.
    const [{ stored }] = (await e2e.db.sql`select count(*)::int as stored from events`) as unknown as [{ stored: number }];
    expect(sample(families, "traceledger_events_appended_total", {})).toBe(stored);
    const commits = sample(families, "traceledger_event_store_append_duration_seconds", {}, "_count");
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThanOrEqual(stored);
    expect(sample(families, "traceledger_event_store_append_duration_seconds", {}, "_sum")).toBeGreaterThan(0);

    // The listing projector has reported where it stands.
    const lag = sample(families, "traceledger_subscriber_lag_seconds", { subscriber: "trace-listing" });
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(60);

    // The monitoring saga (this server holds its lease) reports the spans still open: none, once it
    // has read the last end. It may still be a step behind the scrape above, hence the wait.
    await vi.waitFor(async () => {
      const now = await scrapeMetrics(e2e.server.httpAddress);
      expect(sample(now.families, "traceledger_active_spans", {})).toBe(0);
    }, { timeout: 15_000, interval: 100 });
  });

  it("answers HEAD without a body and refuses other methods", async () => {
    const head = await fetch(`http://${e2e.server.httpAddress}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await fetch(`http://${e2e.server.httpAddress}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
  });

  it("counts a span on the replica that committed its end, labelled from the trace it loaded from the store", async () => {
    const other = await startServer(e2e.db.url);
    try {
      const otherClient = connectClient(other.grpcAddress);
      const traceId = newTraceId();
      const spanId = newSpanId();
      const labels = { service_name: "metrics-replicas", span_name: "handoff", span_kind: "SPAN_KIND_CONSUMER", status_code: "STATUS_CODE_OK" };
      const start = nowNanos() - 1000n * ms;
      await e2e.client.startTrace({ traceId, spanId, name: "handoff", kind: SpanKind.CONSUMER, serviceName: "metrics-replicas", startTimeUnixNano: start });
      await otherClient.endSpan({ traceId, spanId, endTimeUnixNano: start + 300n * ms, status: { code: StatusCode.OK } });

      const here = (await scrapeMetrics(e2e.server.httpAddress)).families;
      const there = (await scrapeMetrics(other.httpAddress)).families;
      expect(matching(seriesOf(family(here, "calls_total")), labels)).toEqual([]);
      expect(sample(there, "calls_total", labels)).toBe(1);
      expect(sample(there, "duration_seconds", labels, "_sum")).toBeCloseTo(0.3, 9);
    } finally {
      await other.stop();
    }
  });

  it("cuts span and service names to MAX_LABEL_VALUE_BYTES in labels: a 2 MB name leaves the scrape small", async () => {
    const name = "é".repeat(1024 * 1024);
    const traceId = newTraceId();
    const spanId = newSpanId();
    await e2e.client.startTrace({ traceId, spanId, name, kind: SpanKind.SERVER, serviceName: `metrics-long-${"é".repeat(256 * 1024)}` });
    await e2e.client.endSpan({ traceId, spanId, status: { code: StatusCode.OK } });

    const { text, families } = await scrapeMetrics(e2e.server.httpAddress);
    // Each span series is 21 lines of every scrape: the whole name made it 40+ MB per span.
    expect(text.length).toBeLessThan(2 * 1024 * 1024);
    expect(Math.max(...text.split("\n").map((line) => line.length))).toBeLessThan(1024);
    const cut = "é".repeat(MAX_LABEL_VALUE_BYTES / 2);
    const service = `metrics-long-${"é".repeat((MAX_LABEL_VALUE_BYTES - "metrics-long-".length) / 2)}`;
    expect(sample(families, "calls_total", { service_name: service, span_name: cut, span_kind: "SPAN_KIND_SERVER", status_code: "STATUS_CODE_OK" })).toBe(1);
  });

  it("keeps at most DEFAULT_MAX_SPAN_SERIES label sets and counts the spans of the rest in one otel_metric_overflow series", async () => {
    const ended = (name: string): TracingCommand[] => {
      const traceId = newTraceId();
      const spanId = newSpanId();
      return [
        create(TracingCommandSchema, { command: { case: "startTrace", value: { traceId, spanId, name, kind: SpanKind.SERVER, serviceName: "metrics-many-names" } } }),
        create(TracingCommandSchema, { command: { case: "endSpan", value: { traceId, spanId } } }),
      ];
    };
    const ingest = async (commands: TracingCommand[]) => {
      const { results } = await e2e.client.ingestBatch({ commands });
      expect(results.filter((r) => r.result.case === "error")).toEqual([]);
    };
    const kept = { service_name: "metrics-many-names", span_name: "GET /orders", span_kind: "SPAN_KIND_SERVER", status_code: "STATUS_CODE_UNSET" };
    await ingest(ended("GET /orders"));
    const before = seriesOf(family((await scrapeMetrics(e2e.server.httpAddress)).families, "calls_total"));
    expect(matching(before, { otel_metric_overflow: "true" })).toEqual([]);

    // An id in each span name, the usual mistake: one label set per request.
    const spans = DEFAULT_MAX_SPAN_SERIES + 100;
    const flood: TracingCommand[] = [];
    for (let n = 0; n < spans; n++) flood.push(...ended(`GET /orders/${n}`));
    await ingest(flood);
    await ingest(ended("GET /orders"));

    const { families } = await scrapeMetrics(e2e.server.httpAddress);
    const calls = seriesOf(family(families, "calls_total"));
    const overflow = matching(calls, { otel_metric_overflow: "true" });
    expect(overflow.map((s) => s.labels)).toEqual([{ otel_metric_overflow: "true" }]);
    expect(calls).toHaveLength(DEFAULT_MAX_SPAN_SERIES + 1);
    // Every span is counted once: in its own series while there was room, in the overflow after.
    expect(overflow[0]!.value).toBe(spans - (DEFAULT_MAX_SPAN_SERIES - before.length));
    expect(sample(families, "duration_seconds", { otel_metric_overflow: "true" }, "_count")).toBe(overflow[0]!.value);
    // A label set kept before the cap still counts in its own series.
    expect(sample(families, "calls_total", kept)).toBe(2);
  }, 60_000);
});
