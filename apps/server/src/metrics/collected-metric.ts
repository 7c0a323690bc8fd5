// A metric whose series this server keeps itself, as prom-client's Registry reads it:
// name, help, type and get() (and reset() on resetMetrics). Used where prom-client's own
// Counter and Histogram cost too much per observation or key their series ambiguously.

import type { Metric } from "prom-client";

/** One sample line, as prom-client's Registry formats it. */
export interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export function collectedMetric(name: string, help: string, type: "counter" | "histogram", values: () => Sample[], reset: () => void): Metric {
  const metric = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => Promise.resolve({ name, help, type, aggregator: "sum", values: values() }),
    reset,
  };
  return metric as unknown as Metric;
}
