// calls_total and duration_seconds, kept by hand rather than by prom-client's
// Counter and Histogram: those validate and hash the label object on every
// observation, which measured about 3 us per span (several percent of a core
// at ingest rates); a SpanSeries handle costs an increment and a bucket search.
// prom-client still writes the exposition: each of the two metrics is an
// object with the fields and get() its Registry formats.
//
// Names come from clients, so both the length of a label value (label-value.ts)
// and the number of series are bounded: the series map is never pruned (callers
// hold handles), and each series is 21 lines of every scrape. Past the cap,
// spans are counted in one overflow series labelled otel_metric_overflow="true",
// as the OpenTelemetry metrics SDKs and the spanmetrics connector's
// aggregation_cardinality_limit do: totals stay right, only the breakdown is lost.

import type { Metric } from "prom-client";
import { collectedMetric, type Sample } from "./collected-metric.js";
import { labelValue } from "./label-value.js";

/** Label sets kept apart before the rest share the overflow series: the OpenTelemetry SDKs' default cardinality limit. */
export const DEFAULT_MAX_SPAN_SERIES = 2000;

/** The spanmetrics labels: OpenTelemetry's enum names, as the connector writes them. */
export interface SpanLabels {
  /** The span's service.name. */
  readonly service_name: string;
  readonly span_name: string;
  /** SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, ... */
  readonly span_kind: string;
  /** STATUS_CODE_UNSET, STATUS_CODE_OK or STATUS_CODE_ERROR. */
  readonly status_code: string;
}

/** The labels of the series that counts the spans whose own label set came past the cap. */
export const OVERFLOW_LABELS = { otel_metric_overflow: "true" } as const;

/** One combination of labels: its call count and its duration histogram. */
export class SpanSeries {
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly bucketCounts: Float64Array;
  count = 0;
  sum = 0;

  constructor(
    readonly labels: SpanLabels | typeof OVERFLOW_LABELS,
    private readonly bounds: readonly number[],
  ) {
    this.bucketCounts = new Float64Array(bounds.length + 1);
  }

  /** Whether this is the overflow series, shared by every label set past the cap: not one to cache per label set. */
  get overflow(): boolean {
    return this.labels === OVERFLOW_LABELS;
  }

  reset(): void {
    this.bucketCounts.fill(0);
    this.count = 0;
    this.sum = 0;
  }

  /** One span ended after `seconds`. */
  record(seconds: number): void {
    // A NaN or negative duration (clock skew in a client) must not poison _sum.
    if (!(seconds >= 0)) seconds = 0;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.bucketCounts[i]!++;
    this.count++;
    this.sum += seconds;
  }
}

export class SpanMetrics {
  private readonly series = new Map<string, SpanSeries>();
  private overflowSeries: SpanSeries | undefined;

  constructor(
    private readonly bounds: readonly number[],
    private readonly maxSeries = DEFAULT_MAX_SPAN_SERIES,
  ) {}

  /**
   * The series of these labels (each value cut by labelValue), created on first use; past
   * maxSeries label sets, the overflow series. Keep it to record without a lookup.
   */
  seriesOf(labels: SpanLabels): SpanSeries {
    const service_name = labelValue(labels.service_name);
    const span_name = labelValue(labels.span_name);
    const span_kind = labelValue(labels.span_kind);
    const status_code = labelValue(labels.status_code);
    // As a JSON array: names may hold any character, so no separator keeps two label sets apart.
    const key = JSON.stringify([service_name, span_name, span_kind, status_code]);
    let series = this.series.get(key);
    if (!series) {
      if (this.series.size >= this.maxSeries) return (this.overflowSeries ??= new SpanSeries(OVERFLOW_LABELS, this.bounds));
      series = new SpanSeries({ service_name, span_name, span_kind, status_code }, this.bounds);
      this.series.set(key, series);
    }
    return series;
  }

  /** The counter, shaped for a prom-client Registry. */
  callsMetric(name: string, help: string): Metric {
    return this.collected(name, help, "counter", (all) =>
      all.map((s) => ({ metricName: name, labels: { ...s.labels }, value: s.count })),
    );
  }

  /** The histogram, shaped for a prom-client Registry: cumulative buckets, +Inf, _sum and _count per series. */
  durationMetric(name: string, help: string): Metric {
    return this.collected(name, help, "histogram", (all) => {
      const values: Sample[] = [];
      for (const s of all) {
        let cumulative = 0;
        s.bucketCounts.forEach((n, i) => {
          cumulative += n;
          const le = i < this.bounds.length ? this.bounds[i]! : "+Inf";
          values.push({ metricName: `${name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
        });
        values.push({ metricName: `${name}_sum`, labels: { ...s.labels }, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: { ...s.labels }, value: s.count });
      }
      return values;
    });
  }

  private collected(name: string, help: string, type: "counter" | "histogram", values: (all: SpanSeries[]) => Sample[]): Metric {
    return collectedMetric(
      name,
      help,
      type,
      () => values(this.overflowSeries ? [...this.series.values(), this.overflowSeries] : [...this.series.values()]),
      // Zeroes rather than forgets: callers hold SpanSeries handles.
      () => {
        for (const series of this.series.values()) series.reset();
        this.overflowSeries?.reset();
      },
    );
  }
}
