// One scrape of a traceledger server's /metrics (the e2e tests' scrapeMetrics), as a
// lookup of sample values by series name and labels, for the benchmarks that report
// what the server counted.

import { scrapeMetrics } from "../../../apps/server/test/e2e/support/scrape-metrics.js";

/** The value of the sample `name{labels}` (labels matched exactly); throws when absent. */
export type MetricValues = (name: string, labels?: Record<string, string>) => number;

export async function scrapeMetricValues(httpAddress: string): Promise<MetricValues> {
  const samples = [...(await scrapeMetrics(httpAddress)).families.values()].flatMap((family) => family.samples);
  return (name, labels = {}) => {
    const wanted = Object.entries(labels);
    const found = samples.find(
      (s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v),
    );
    if (!found) throw new Error(`/metrics has no ${name}${wanted.length > 0 ? JSON.stringify(labels) : ""}`);
    return found.value;
  };
}
