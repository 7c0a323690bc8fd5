// calls_total and duration_seconds, kept by hand rather than by prom-client's
// Counter and Histogram: those validate and hash the label object on every
// observation, which measured about 3 us per span (several percent of a core
// at ingest rates); a SpanSeries handle costs an increment and a bucket search.
// prom-client still writes the exposition: each of the two metrics is an
// object with the fields and get() its Registry formats.

import type { Metric } from "prom-client";
import { collectedMetric, type Sample } from "./collected-metric.js";

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

/** One combination of labels: its call count and its duration histogram. */
export class SpanSeries {
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly bucketCounts: Float64Array;
  count = 0;
  sum = 0;

  constructor(
    readonly labels: SpanLabels,
    private readonly bounds: readonly number[],
  ) {
    this.bucketCounts = new Float64Array(bounds.length + 1);
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

  constructor(private readonly bounds: readonly number[]) {}

  /** The series of these labels, created on first use. Keep it to record without a lookup. */
  seriesOf(labels: SpanLabels): SpanSeries {
    // As a JSON array: names may hold any character, so no separator keeps two label sets apart.
    const key = JSON.stringify([labels.service_name, labels.span_name, labels.span_kind, labels.status_code]);
    let series = this.series.get(key);
    if (!series) {
      series = new SpanSeries({ ...labels }, this.bounds);
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
      () => values([...this.series.values()]),
      // Zeroes rather than forgets: callers hold SpanSeries handles.
      () => {
        for (const series of this.series.values()) series.reset();
      },
    );
  }
}
