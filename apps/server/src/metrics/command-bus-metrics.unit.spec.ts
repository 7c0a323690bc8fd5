import { create } from "@bufbuild/protobuf";
import { OrphanReason, SpanKind, SpanOrphanedSchema, StatusCode } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { matching, parsePrometheusText, seriesOf } from "../../test/support/prometheus-text.js";
import { CHILD, ROOT, T0, ms, spanEnded, spanStarted, traceStarted } from "../domain/testing/trace-fixtures.js";
import { TRACE } from "../domain/testing/trace-specification.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { foldTrace } from "../domain/trace/trace-state.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import { CommandBusMetrics } from "./command-bus-metrics.js";
import { MAX_LABEL_VALUE_BYTES } from "./label-value.js";
import { ServerMetrics } from "./server-metrics.js";

/** What the bus does on a commit: the state after the events, and the events themselves. */
function commit(observer: CommandBusMetrics, history: TraceEventCase[], events: TraceEventCase[]): void {
  observer.committed(foldTrace(TRACE, [...history, ...events]), events);
}

async function scrape(metrics: ServerMetrics) {
  const families = parsePrometheusText(await metrics.render());
  const samples = (name: string, suffix = "") => seriesOf(families.get(name)!, suffix);
  return { samples };
}

const rootStarted = spanStarted(ROOT, { kind: SpanKind.SERVER, startTime: T0 });
const childStarted = spanStarted(CHILD, { parentSpanId: ROOT, kind: SpanKind.CLIENT, startTime: T0 + ms(10) });

describe("CommandBusMetrics", () => {
  it("counts a span when its end is committed, labelled from the trace state, timed from its start to its end", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const observer = new CommandBusMetrics(metrics);
    const history = [traceStarted(), rootStarted, childStarted];
    commit(observer, [], history);
    expect((await scrape(metrics)).samples("calls_total")).toEqual([]);

    commit(observer, history, [spanEnded(CHILD, { endTime: T0 + ms(40), statusCode: StatusCode.ERROR })]);
    commit(observer, [...history, spanEnded(CHILD, { endTime: T0 + ms(40), statusCode: StatusCode.ERROR })], [
      spanEnded(ROOT, { endTime: T0 + ms(1500), statusCode: StatusCode.UNSPECIFIED }),
    ]);

    const { samples } = await scrape(metrics);
    expect(samples("calls_total").map((s) => [s.labels, s.value])).toEqual([
      [{ service_name: "payments", span_name: "charge card", span_kind: "SPAN_KIND_CLIENT", status_code: "STATUS_CODE_ERROR" }, 1],
      [{ service_name: "checkout", span_name: "POST /checkout", span_kind: "SPAN_KIND_SERVER", status_code: "STATUS_CODE_UNSET" }, 1],
    ]);
    const sums = samples("duration_seconds", "_sum");
    expect(matching(sums, { service_name: "payments" })[0]!.value).toBeCloseTo(0.03, 12);
    expect(matching(sums, { service_name: "checkout" })[0]!.value).toBeCloseTo(1.5, 12);
  });

  it("looks a series up once, however many spans it counts", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const observer = new CommandBusMetrics(metrics);
    const lookups = countLookups(metrics);
    const history = [traceStarted(), rootStarted, childStarted];
    for (let i = 0; i < 3; i++) commit(observer, history, [spanEnded(CHILD, { endTime: T0 + ms(20) })]);
    expect(lookups.count).toBe(1);
    expect((await scrape(metrics)).samples("calls_total")[0]!.value).toBe(3);
  });

  it("labels a span with its names cut to MAX_LABEL_VALUE_BYTES, and keeps no handle of the overflow series", async () => {
    const metrics = new ServerMetrics({ processMetrics: false, maxSpanSeries: 1 });
    const observer = new CommandBusMetrics(metrics);
    const lookups = countLookups(metrics);
    const long = "n".repeat(1024 * 1024);
    const root = spanStarted(ROOT, { kind: SpanKind.SERVER, startTime: T0, name: long, serviceName: long });
    const child = spanStarted(CHILD, { parentSpanId: ROOT, kind: SpanKind.CLIENT, startTime: T0 });
    const history = [traceStarted(), root, child];
    commit(observer, history, [spanEnded(ROOT, { endTime: T0 + ms(5) })]);
    // The child's label set comes past the cap of 1: each of its spans is looked up again,
    // rather than a handle kept per label set past the cap (their number has no bound).
    for (let i = 0; i < 3; i++) commit(observer, history, [spanEnded(CHILD, { endTime: T0 + ms(5) })]);
    expect(lookups.count).toBe(4);
    const calls = (await scrape(metrics)).samples("calls_total").map((s) => [s.labels, s.value]);
    const cut = "n".repeat(MAX_LABEL_VALUE_BYTES);
    expect(calls).toEqual([
      [{ service_name: cut, span_name: cut, span_kind: "SPAN_KIND_SERVER", status_code: "STATUS_CODE_OK" }, 1],
      [{ otel_metric_overflow: "true" }, 3],
    ]);
  });

  it("keeps spans of kinds and statuses this server does not know (OTLP keeps them) in series of their own", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const observer = new CommandBusMetrics(metrics);
    // Kind 0 with status 64 and kind 1 with status 0: one series when both were packed as kind * 64 + status.
    const a = spanStarted(ROOT, { kind: 0 as SpanKind, startTime: T0 });
    const b = spanStarted(CHILD, { parentSpanId: ROOT, kind: 1 as SpanKind, startTime: T0 });
    commit(observer, [traceStarted(), a, b], [spanEnded(ROOT, { endTime: T0 + ms(1), statusCode: 64 as StatusCode })]);
    commit(observer, [traceStarted(), a, b, spanEnded(ROOT, { endTime: T0 + ms(1), statusCode: 64 as StatusCode })], [spanEnded(CHILD, { endTime: T0 + ms(1), statusCode: StatusCode.UNSPECIFIED })]);
    const calls = (await scrape(metrics)).samples("calls_total").map((s) => [s.labels["span_kind"], s.labels["status_code"], s.value]);
    expect(calls).toEqual([
      ["SPAN_KIND_UNSPECIFIED", "STATUS_CODE_64", 1],
      ["SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET", 1],
    ]);
  });

  it("counts an orphan apart, not as a call", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const observer = new CommandBusMetrics(metrics);
    const orphaned: TraceEventCase = {
      case: "spanOrphaned",
      value: create(SpanOrphanedSchema, { traceId: hexToBytes(TRACE), spanId: hexToBytes(CHILD), closedTimeUnixNano: T0 + ms(60_000), reason: OrphanReason.TIMEOUT }),
    };
    commit(observer, [traceStarted(), rootStarted, childStarted], [orphaned]);
    const { samples } = await scrape(metrics);
    expect(samples("calls_total")).toEqual([]);
    expect(samples("traceledger_spans_orphaned_total").map((s) => [s.labels, s.value])).toEqual([[{ service_name: "payments", span_name: "charge card" }, 1]]);
  });

  it("reports each group commit's time and event count", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    new CommandBusMetrics(metrics).appended(0.002, 42);
    const { samples } = await scrape(metrics);
    expect(samples("traceledger_event_store_append_duration_seconds", "_count")[0]!.value).toBe(1);
    expect(samples("traceledger_events_appended_total")[0]!.value).toBe(42);
  });
});

/** Counts the series lookups the observer makes of `metrics` (its handle cache should spare most). */
function countLookups(metrics: ServerMetrics): { count: number } {
  const lookups = { count: 0 };
  const spanSeriesOf = metrics.spanSeries.bind(metrics);
  metrics.spanSeries = (labels) => {
    lookups.count++;
    return spanSeriesOf(labels);
  };
  return lookups;
}
