import { register as globalRegistry } from "prom-client";
import { describe, expect, it } from "vitest";
import { matching, parsePrometheusText, seriesOf, type MetricFamily } from "../../test/support/prometheus-text.js";
import { MAX_LABEL_VALUE_BYTES } from "./label-value.js";
import { APPEND_DURATION_BUCKETS, SPAN_DURATION_BUCKETS, ServerMetrics, type SpanLabels } from "./server-metrics.js";
import { DEFAULT_MAX_SPAN_SERIES } from "./span-metrics.js";

const CHECKOUT_OK: SpanLabels = { service_name: "checkout", span_name: "POST /orders", span_kind: "SPAN_KIND_SERVER", status_code: "STATUS_CODE_OK" };
const CHECKOUT_ERROR: SpanLabels = { ...CHECKOUT_OK, status_code: "STATUS_CODE_ERROR" };

async function scrape(metrics: ServerMetrics): Promise<Map<string, MetricFamily>> {
  return parsePrometheusText(await metrics.render());
}

function family(families: Map<string, MetricFamily>, name: string): MetricFamily {
  const found = families.get(name);
  if (!found) throw new Error(`${name} is not exported`);
  return found;
}

function value(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}, suffix = ""): number | undefined {
  const samples = matching(seriesOf(family(families, name), suffix), labels);
  if (samples.length > 1) throw new Error(`${name}${suffix} ${JSON.stringify(labels)} matches ${samples.length} series`);
  return samples[0]?.value;
}

describe("ServerMetrics", () => {
  it("counts ended spans in calls_total and their durations in duration_seconds, per service, name, kind and status", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.spanSeries(CHECKOUT_OK).record(0.02);
    metrics.spanSeries(CHECKOUT_OK).record(0.2);
    metrics.spanSeries(CHECKOUT_ERROR).record(7);

    const families = await scrape(metrics);
    expect(family(families, "calls_total").type).toBe("counter");
    expect(value(families, "calls_total", { ...CHECKOUT_OK })).toBe(2);
    expect(value(families, "calls_total", { ...CHECKOUT_ERROR })).toBe(1);

    const duration = family(families, "duration_seconds");
    expect(duration.type).toBe("histogram");
    expect(value(families, "duration_seconds", { ...CHECKOUT_OK, le: "0.01" }, "_bucket")).toBe(0);
    expect(value(families, "duration_seconds", { ...CHECKOUT_OK, le: "0.025" }, "_bucket")).toBe(1);
    expect(value(families, "duration_seconds", { ...CHECKOUT_OK, le: "0.25" }, "_bucket")).toBe(2);
    expect(value(families, "duration_seconds", { ...CHECKOUT_OK }, "_count")).toBe(2);
    expect(value(families, "duration_seconds", { ...CHECKOUT_OK }, "_sum")).toBeCloseTo(0.22, 9);
    expect(value(families, "duration_seconds", { ...CHECKOUT_ERROR, le: "5" }, "_bucket")).toBe(0);
    expect(value(families, "duration_seconds", { ...CHECKOUT_ERROR, le: "10" }, "_bucket")).toBe(1);
    // Every bucket the histogram declares is exposed, and no other.
    const bounds = matching(seriesOf(duration, "_bucket"), { ...CHECKOUT_OK }).map((s) => s.labels["le"]);
    expect(bounds).toEqual([...SPAN_DURATION_BUCKETS.map(String), "+Inf"]);
  });

  it("counts orphans apart from calls", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.spanOrphaned("checkout", "POST /orders");
    const families = await scrape(metrics);
    expect(value(families, "traceledger_spans_orphaned_total", { service_name: "checkout", span_name: "POST /orders" })).toBe(1);
    expect(seriesOf(family(families, "calls_total"))).toEqual([]);
  });

  it("keeps services and span names apart whatever characters they hold", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    // Each pair was one series: a NUL-joined key for calls, prom-client's "name:value," key for orphans.
    metrics.spanSeries({ ...CHECKOUT_OK, service_name: "nul\u0000a", span_name: "b" }).record(1);
    metrics.spanSeries({ ...CHECKOUT_OK, service_name: "nul", span_name: "a\u0000b" }).record(1);
    metrics.spanOrphaned("a,span_name:b", "c");
    metrics.spanOrphaned("a", "b,span_name:c");
    const families = await scrape(metrics);
    expect(seriesOf(family(families, "calls_total")).map((s) => [s.labels["service_name"], s.labels["span_name"], s.value])).toEqual([
      ["nul\u0000a", "b", 1],
      ["nul", "a\u0000b", 1],
    ]);
    expect(seriesOf(family(families, "traceledger_spans_orphaned_total")).map((s) => [s.labels["service_name"], s.labels["span_name"], s.value])).toEqual([
      ["a,span_name:b", "c", 1],
      ["a", "b,span_name:c", 1],
    ]);
  });

  it("counts alerts raised and resolved by kind and keeps the open ones in a gauge that never goes below zero", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.alertRaised("slow_span");
    metrics.alertRaised("slow_span");
    metrics.alertRaised("error_rate");
    metrics.alertResolved("slow_span");
    metrics.alertResolved("error_rate");
    metrics.alertResolved("error_rate"); // one more than raised: a resolution of an alert raised before this process started
    let families = await scrape(metrics);
    expect(value(families, "traceledger_alerts_raised_total", { kind: "slow_span" })).toBe(2);
    expect(value(families, "traceledger_alerts_raised_total", { kind: "error_rate" })).toBe(1);
    expect(value(families, "traceledger_alerts_resolved_total", { kind: "slow_span" })).toBe(1);
    expect(value(families, "traceledger_alerts_resolved_total", { kind: "error_rate" })).toBe(2);
    expect(value(families, "traceledger_alerts_open", { kind: "slow_span" })).toBe(1);
    expect(value(families, "traceledger_alerts_open", { kind: "error_rate" })).toBe(0);

    // A runner that rebuilt its state sets the gauge outright; later raises count on from there.
    metrics.setOpenAlerts(new Map([["error_rate", 4]]));
    metrics.alertRaised("error_rate");
    families = await scrape(metrics);
    expect(value(families, "traceledger_alerts_open", { kind: "error_rate" })).toBe(5);
    // A kind shown before and not open in the rebuilt state drops to 0, not a stale count.
    expect(value(families, "traceledger_alerts_open", { kind: "slow_span" })).toBe(0);
  });

  it("holds the active span count and each subscriber's lag as last set", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    let families = await scrape(metrics);
    expect(value(families, "traceledger_active_spans")).toBe(0);
    metrics.setActiveSpans(12);
    metrics.setActiveSpans(7);
    metrics.setSubscriberLag("trace-listing", 0.25);
    metrics.setSubscriberLag("monitoring", 3);
    metrics.setSubscriberLag("trace-listing", 0);
    families = await scrape(metrics);
    expect(value(families, "traceledger_active_spans")).toBe(7);
    expect(family(families, "traceledger_subscriber_lag_seconds").type).toBe("gauge");
    expect(value(families, "traceledger_subscriber_lag_seconds", { subscriber: "trace-listing" })).toBe(0);
    expect(value(families, "traceledger_subscriber_lag_seconds", { subscriber: "monitoring" })).toBe(3);
  });

  it("counts the saga's statistics let go past MONITORING_MAX_OPERATIONS, from 0", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const name = "traceledger_monitoring_stats_evicted_total";
    let families = await scrape(metrics);
    expect(family(families, name).type).toBe("counter");
    expect(value(families, name)).toBe(0);
    metrics.statsEvicted(3);
    metrics.statsEvicted(2);
    families = await scrape(metrics);
    expect(value(families, name)).toBe(5);
  });

  it("times group commits and counts the events they wrote", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.observeAppend(0.0004, 10);
    metrics.observeAppend(0.003, 500);
    const families = await scrape(metrics);
    const name = "traceledger_event_store_append_duration_seconds";
    expect(value(families, name, { le: "0.0005" }, "_bucket")).toBe(1);
    expect(value(families, name, { le: "0.005" }, "_bucket")).toBe(2);
    expect(value(families, name, {}, "_count")).toBe(2);
    expect(seriesOf(family(families, name), "_bucket").map((s) => s.labels["le"])).toEqual([...APPEND_DURATION_BUCKETS.map(String), "+Inf"]);
    expect(value(families, "traceledger_events_appended_total")).toBe(510);
  });

  it("counts the global log's events handed out, by where they came from", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const fresh = await scrape(metrics);
    expect(value(fresh, "traceledger_log_events_read_total", { source: "database" })).toBe(0);
    expect(value(fresh, "traceledger_log_events_read_total", { source: "window" })).toBe(0);
    metrics.logRead(5000, false);
    metrics.logRead(1200, true);
    metrics.logRead(300, true);
    const families = await scrape(metrics);
    expect(value(families, "traceledger_log_events_read_total", { source: "database" })).toBe(5000);
    expect(value(families, "traceledger_log_events_read_total", { source: "window" })).toBe(1500);
  });

  it("keeps its metrics on its own registry: two instances never share a series, and the global registry stays empty", async () => {
    const a = new ServerMetrics({ processMetrics: false });
    const b = new ServerMetrics({ processMetrics: false });
    a.spanSeries(CHECKOUT_OK).record(1);
    expect(value(await scrape(a), "calls_total", { ...CHECKOUT_OK })).toBe(1);
    expect(seriesOf(family(await scrape(b), "calls_total"))).toEqual([]);
    expect(globalRegistry.getSingleMetric("calls_total")).toBeUndefined();
  });

  it("adds Node.js process metrics under their usual names unless asked not to", async () => {
    const withProcess = await scrape(new ServerMetrics());
    expect(withProcess.get("process_cpu_user_seconds_total")?.type).toBe("counter");
    expect(withProcess.get("nodejs_eventloop_lag_seconds")?.type).toBe("gauge");
    const without = await scrape(new ServerMetrics({ processMetrics: false }));
    expect([...without.keys()].filter((name) => name.startsWith("process_") || name.startsWith("nodejs_"))).toEqual([]);
  });

  it("serves the Prometheus text format 0.0.4", () => {
    expect(new ServerMetrics({ processMetrics: false }).contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  });
});

describe("span series", () => {
  it("records into the same series whether reached by labels or by a kept handle, and shrugs off a NaN or negative duration", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const handle = metrics.spanSeries({ ...CHECKOUT_OK });
    handle.record(0.5);
    metrics.spanSeries({ ...CHECKOUT_OK }).record(1.5);
    handle.record(Number.NaN);
    handle.record(-1);
    const families = await scrape(metrics);
    expect(value(families, "calls_total", { ...CHECKOUT_OK })).toBe(4);
    expect(value(families, "duration_seconds", { ...CHECKOUT_OK }, "_sum")).toBe(2);
    expect(value(families, "duration_seconds", { ...CHECKOUT_OK, le: "0.001" }, "_bucket")).toBe(2);
  });

  it("cuts each label value to MAX_LABEL_VALUE_BYTES bytes: a 2 MB name no longer makes every scrape megabytes long", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const huge = "é".repeat(1024 * 1024);
    const cut = "é".repeat(MAX_LABEL_VALUE_BYTES / 2);
    for (let i = 0; i < 4; i++) metrics.spanSeries({ ...CHECKOUT_OK, service_name: `${huge}${i}`, span_name: `${huge}${i}` }).record(0.1);
    metrics.spanOrphaned(huge, huge);
    const text = await metrics.render();
    expect(text.length).toBeLessThan(32 * 1024);
    const families = parsePrometheusText(text);
    // Four names that share their first 256 bytes are one series now.
    expect(seriesOf(family(families, "calls_total")).map((s) => [s.labels, s.value])).toEqual([[{ ...CHECKOUT_OK, service_name: cut, span_name: cut }, 4]]);
    expect(value(families, "traceledger_spans_orphaned_total", { service_name: cut, span_name: cut })).toBe(1);
  });

  it("keeps at most maxSpanSeries label sets of orphaned spans apart too, the rest in one otel_metric_overflow series", async () => {
    const metrics = new ServerMetrics({ processMetrics: false, maxSpanSeries: 2 });
    for (let n = 0; n < 5; n++) metrics.spanOrphaned("checkout", `job ${n}`);
    metrics.spanOrphaned("checkout", "job 0");
    const orphaned = seriesOf(family(await scrape(metrics), "traceledger_spans_orphaned_total"));
    expect(orphaned.map((s) => [s.labels, s.value])).toEqual([
      [{ service_name: "checkout", span_name: "job 0" }, 2],
      [{ service_name: "checkout", span_name: "job 1" }, 1],
      [{ otel_metric_overflow: "true" }, 3],
    ]);
  });

  it("keeps at most maxSpanSeries label sets apart and counts the spans of the rest in one otel_metric_overflow series", async () => {
    const metrics = new ServerMetrics({ processMetrics: false, maxSpanSeries: 3 });
    const named = (n: number): SpanLabels => ({ ...CHECKOUT_OK, span_name: `GET /orders/${n}` });
    for (let n = 0; n < 10; n++) metrics.spanSeries(named(n)).record(0.02);
    // A label set kept before the cap still counts in its own series.
    metrics.spanSeries(named(1)).record(2);
    const handle = metrics.spanSeries(named(42));
    handle.record(0.5);
    expect(handle.overflow).toBe(true);
    expect(metrics.spanSeries(named(2)).overflow).toBe(false);

    const families = await scrape(metrics);
    const calls = seriesOf(family(families, "calls_total"));
    expect(calls.map((s) => [s.labels, s.value])).toEqual([
      [named(0), 1],
      [named(1), 2],
      [named(2), 1],
      [{ otel_metric_overflow: "true" }, 8],
    ]);
    expect(value(families, "duration_seconds", { otel_metric_overflow: "true" }, "_count")).toBe(8);
    expect(value(families, "duration_seconds", { otel_metric_overflow: "true" }, "_sum")).toBeCloseTo(7 * 0.02 + 0.5, 9);
    expect(value(families, "duration_seconds", { otel_metric_overflow: "true", le: "0.025" }, "_bucket")).toBe(7);
    expect(value(families, "duration_seconds", { otel_metric_overflow: "true", le: "+Inf" }, "_bucket")).toBe(8);
  });

  it("caps span series at DEFAULT_MAX_SPAN_SERIES label sets unless told otherwise", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const spans = DEFAULT_MAX_SPAN_SERIES + 500;
    for (let n = 0; n < spans; n++) metrics.spanSeries({ ...CHECKOUT_OK, span_name: `GET /orders/${n}` }).record(0.01);
    const calls = seriesOf(family(await scrape(metrics), "calls_total"));
    expect(calls).toHaveLength(DEFAULT_MAX_SPAN_SERIES + 1);
    expect(matching(calls, { otel_metric_overflow: "true" }).map((s) => s.value)).toEqual([500]);
    expect(calls.reduce((sum, s) => sum + s.value, 0)).toBe(spans);
  });
});
