// docs/grafana/traceledger-dashboard.json against a real server's /metrics:
// every metric any panel (or variable) queries is exported, histogram series
// (x_bucket, x_sum, x_count) belong to a histogram x, and every label the
// queries match or group by is a label those series carry. The series fed by
// the monitoring saga are filled in through Traceledger.metrics, as its runner does.

import { readFileSync } from "node:fs";
import { SpanKind, StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import type { MetricFamily } from "../support/prometheus-text.js";
import { promqlReferences } from "../support/promql-references.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { connectClient, startServer } from "./support/in-process-server.js";
import { scrapeMetrics } from "./support/scrape-metrics.js";

const DASHBOARD_PATH = new URL("../../../../docs/grafana/traceledger-dashboard.json", import.meta.url);
/** Labels Prometheus attaches at scrape time, not in the exposition. */
const TARGET_LABELS = new Set(["instance", "job"]);

interface Target {
  readonly expr?: string;
  readonly datasource?: { type?: string; uid?: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly targets?: Target[];
  readonly panels?: Panel[];
  readonly gridPos: { h: number; w: number; x: number; y: number };
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query: unknown;
  readonly datasource?: { type?: string; uid?: string };
}
interface Dashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly title: string;
  readonly panels: Panel[];
  readonly templating: { list: Variable[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, "utf8")) as Dashboard;
const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = allPanels.filter((p) => p.type !== "row");

/** Every PromQL the dashboard runs, with where it comes from. */
function queries(): Array<{ where: string; expr: string }> {
  const fromPanels = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr ?? "" })));
  const fromVariables = dashboard.templating.list
    .filter((v) => v.type === "query")
    .map((v) => {
      const query = typeof v.query === "string" ? v.query : (v.query as { query: string }).query;
      const selector = /^label_values\((.*),\s*(\w+)\)$/.exec(query);
      if (!selector) throw new Error(`variable ${v.name}: only label_values(selector, label) is checked, got ${query}`);
      return { where: `variable $${v.name}`, expr: `group by (${selector[2]}) (${selector[1]})` };
    });
  return [...fromPanels, ...fromVariables];
}

/** The family a series name belongs to: itself, or a histogram (summary) for _bucket, _sum, _count. */
function familyOf(families: Map<string, MetricFamily>, series: string): MetricFamily | undefined {
  const direct = families.get(series);
  if (direct) return direct;
  const suffix = /_(bucket|sum|count)$/.exec(series);
  if (!suffix) return undefined;
  const base = families.get(series.slice(0, suffix.index));
  if (base?.type === "histogram") return base;
  if (base?.type === "summary" && suffix[1] !== "bucket") return base;
  return undefined;
}

/**
 * The dashboard check: each query reads some metric, each series it reads is
 * exported (itself or as part of a histogram) and has samples, and each label
 * it matches or groups by is one those samples carry.
 */
function dashboardProblems(list: ReadonlyArray<{ where: string; expr: string }>, families: Map<string, MetricFamily>): { problems: string[]; checked: number } {
  const problems: string[] = [];
  let checked = 0;
  for (const { where, expr } of list) {
    const refs = promqlReferences(expr);
    if (refs.metrics.size === 0) problems.push(`${where}: reads no metric: ${expr}`);
    const labelsSeen = new Set<string>(TARGET_LABELS);
    for (const series of refs.metrics) {
      checked++;
      const family = familyOf(families, series);
      if (!family) {
        problems.push(`${where}: ${series} is not exported`);
        continue;
      }
      const samples = family.samples.filter((s) => s.name === series || family.type !== "histogram");
      if (samples.length === 0) problems.push(`${where}: ${series} has no samples, so its labels cannot be checked`);
      const labels = new Set(samples.flatMap((s) => Object.keys(s.labels)));
      for (const label of labels) labelsSeen.add(label);
      for (const label of refs.matcherLabels.get(series) ?? []) if (!labels.has(label)) problems.push(`${where}: ${series} has no label ${label}`);
    }
    for (const label of refs.groupingLabels) if (!labelsSeen.has(label)) problems.push(`${where}: groups by ${label}, which none of its series carries`);
  }
  return { problems, checked };
}

let db: TestDatabase;
let server: Traceledger;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer(db.url);
  const client = connectClient(server.grpcAddress);
  const traceId = newTraceId();
  const root = newSpanId();
  const child = newSpanId();
  const start = nowNanos() - 1_000_000_000n;
  await client.startTrace({ traceId, spanId: root, name: "GET /", kind: SpanKind.SERVER, serviceName: "dash-front", startTimeUnixNano: start });
  await client.startSpan({ traceId, parentSpanId: root, spanId: child, name: "query", kind: SpanKind.CLIENT, serviceName: "dash-db", startTimeUnixNano: start });
  await client.endSpan({ traceId, spanId: child, endTimeUnixNano: start + 5_000_000n, status: { code: StatusCode.ERROR } });
  await client.endSpan({ traceId, spanId: root, endTimeUnixNano: start + 9_000_000n, status: { code: StatusCode.OK } });
  await server.projector.catchUp();
  // What the monitoring saga's runner reports.
  server.metrics.setActiveSpans(3);
  server.metrics.alertRaised("slow_span");
  server.metrics.alertResolved("slow_span");
  server.metrics.spanOrphaned("dash-front", "GET /");
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

describe("the Grafana dashboard", () => {
  it("is a current dashboard model with a Prometheus data source variable that every panel and query uses", () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    const datasource = dashboard.templating.list.find((v) => v.type === "datasource");
    expect(datasource).toMatchObject({ name: "datasource", query: "prometheus" });
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(["datasource", "service"]));
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of queryPanels) {
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
  });

  it("covers RED per service and operation, active spans, alerts, subscriber lag and append latency", () => {
    const all = queries().map((q) => q.expr);
    const reads = (metric: string) => all.some((e) => promqlReferences(e).metrics.has(metric));
    expect(reads("calls_total")).toBe(true);
    expect(all.some((e) => e.includes('status_code="STATUS_CODE_ERROR"') && e.includes("/"))).toBe(true);
    for (const quantile of ["0.5", "0.95", "0.99"]) expect(all.some((e) => e.startsWith(`histogram_quantile(${quantile},`) && e.includes("duration_seconds_bucket"))).toBe(true);
    for (const metric of ["traceledger_active_spans", "traceledger_alerts_open", "traceledger_alerts_raised_total", "traceledger_subscriber_lag_seconds", "traceledger_event_store_append_duration_seconds_bucket"]) {
      expect(reads(metric), metric).toBe(true);
    }
    // Every span panel follows the service picker.
    const spanPanelQueries = queries().filter((q) => q.where.startsWith("panel") && /\b(calls_total|duration_seconds_\w+)\b/.test(q.expr));
    expect(spanPanelQueries.filter((q) => !q.expr.includes('service_name=~"$service"'))).toEqual([]);
  });

  it("queries only metrics and labels the server exports", async () => {
    const { families } = await scrapeMetrics(server.httpAddress);
    const { problems, checked } = dashboardProblems(queries(), families);
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it("reports a metric the server does not export, so the dashboard check can fail", async () => {
    expect([...promqlReferences("sum(rate(traceledger_no_such_metric_total[5m]))").metrics]).toEqual(["traceledger_no_such_metric_total"]);
    // The check itself, on the real server's /metrics: a made-up metric is a problem; next to it, one the server exports is not.
    const { families } = await scrapeMetrics(server.httpAddress);
    const { problems, checked } = dashboardProblems(
      [
        { where: 'panel "made up"', expr: "sum(rate(traceledger_no_such_metric_total[5m]))" },
        { where: 'panel "real"', expr: "sum(traceledger_active_spans)" },
      ],
      families,
    );
    expect(checked).toBe(2);
    expect(problems).toEqual(['panel "made up": traceledger_no_such_metric_total is not exported']);
  });
});

describe("promqlReferences", () => {
  it("finds metrics, matcher labels and grouping labels, and skips functions, keywords, numbers, ranges and Grafana variables", () => {
    const refs = promqlReferences(
      'histogram_quantile(0.99, sum by (le, service_name) (rate(duration_seconds_bucket{service_name=~"$service", span_name!="a{b}"}[$__rate_interval] offset 1h))) / on (service_name) group_left max(up) > bool 1e3',
    );
    expect([...refs.metrics]).toEqual(["duration_seconds_bucket", "up"]);
    expect([...refs.matcherLabels.get("duration_seconds_bucket")!]).toEqual(["service_name", "span_name"]);
    expect([...refs.groupingLabels]).toEqual(["le", "service_name"]);
  });
});
