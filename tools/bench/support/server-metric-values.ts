// One scrape of a traceledger server's /metrics, as a lookup of sample values by
// series name and labels, for the benchmarks that report what the server counted.
// Parsed by the tests' exposition-format parser (apps/server/test/support).

import { parsePrometheusText, type Sample } from "../../../apps/server/test/support/prometheus-text.js";

/** The value of the sample `name{labels}` (labels matched exactly); throws when absent. */
export type MetricValues = (name: string, labels?: Record<string, string>) => number;

export async function scrapeMetricValues(httpAddress: string): Promise<MetricValues> {
  const response = await fetch(`http://${httpAddress}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const samples: Sample[] = [...parsePrometheusText(await response.text()).values()].flatMap((family) => family.samples);
  return (name, labels = {}) => {
    const wanted = Object.entries(labels);
    const found = samples.find(
      (s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v),
    );
    if (!found) throw new Error(`/metrics has no ${name}${wanted.length > 0 ? JSON.stringify(labels) : ""}`);
    return found.value;
  };
}
