// A counter kept by label values, shaped for a prom-client Registry. prom-client's own
// Counter keys a series by `name:value,` joined, unescaped, so two services whose names
// hold such text ("a,span_name:b" and "a" with span "b,span_name:c") were counted as one.
// Here a series is keyed by its values as a JSON array, which no two label sets share.

//
// Label values come from clients, so the number of series is capped as the span
// metrics' are (span-metrics.ts): past maxSeries label sets, counts go to one
// series labelled otel_metric_overflow="true".

import type { Metric } from "prom-client";
import { collectedMetric } from "./collected-metric.js";
import { DEFAULT_MAX_SPAN_SERIES, OVERFLOW_LABELS } from "./span-metrics.js";

export class LabelledCounter<Label extends string> {
  private readonly series = new Map<string, { readonly labels: Readonly<Record<string, string>>; value: number }>();
  private overflow: { readonly labels: Readonly<Record<string, string>>; value: number } | undefined;

  constructor(
    private readonly labelNames: readonly Label[],
    private readonly maxSeries = DEFAULT_MAX_SPAN_SERIES,
  ) {}

  inc(labels: Readonly<Record<Label, string>>, by = 1): void {
    const key = JSON.stringify(this.labelNames.map((name) => labels[name]));
    const series = this.series.get(key);
    if (series) series.value += by;
    else if (this.series.size < this.maxSeries) this.series.set(key, { labels: { ...labels }, value: by });
    else (this.overflow ??= { labels: OVERFLOW_LABELS, value: 0 }).value += by;
  }

  metric(name: string, help: string): Metric {
    const all = () => (this.overflow ? [...this.series.values(), this.overflow] : [...this.series.values()]);
    const values = () => all().map((s) => ({ metricName: name, labels: { ...s.labels }, value: s.value }));
    return collectedMetric(name, help, "counter", values, () => {
      this.series.clear();
      this.overflow = undefined;
    });
  }
}
