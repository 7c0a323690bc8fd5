// A counter kept by label values, shaped for a prom-client Registry. prom-client's own
// Counter keys a series by `name:value,` joined, unescaped, so two services whose names
// hold such text ("a,span_name:b" and "a" with span "b,span_name:c") were counted as one.
// Here a series is keyed by its values as a JSON array, which no two label sets share.

import type { Metric } from "prom-client";
import { collectedMetric } from "./collected-metric.js";

export class LabelledCounter<Label extends string> {
  private readonly series = new Map<string, { readonly labels: Readonly<Record<Label, string>>; value: number }>();

  constructor(private readonly labelNames: readonly Label[]) {}

  inc(labels: Readonly<Record<Label, string>>, by = 1): void {
    const key = JSON.stringify(this.labelNames.map((name) => labels[name]));
    const series = this.series.get(key);
    if (series) series.value += by;
    else this.series.set(key, { labels: { ...labels }, value: by });
  }

  metric(name: string, help: string): Metric {
    const values = () => [...this.series.values()].map((s) => ({ metricName: name, labels: { ...s.labels }, value: s.value }));
    return collectedMetric(name, help, "counter", values, () => this.series.clear());
  }
}
