// One scrape of a traceledger server's /metrics, as a lookup of sample values by
// series name and labels, for the benchmarks that report what the server counted.

/** The value of the sample `name{labels}` (labels matched exactly, in any order); throws when absent. */
export type MetricValues = (name: string, labels?: Record<string, string>) => number;

export async function scrapeMetricValues(httpAddress: string): Promise<MetricValues> {
  const response = await fetch(`http://${httpAddress}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return (name, labels = {}) => {
    const wanted = Object.entries(labels);
    for (const [series, value] of samples) {
      const brace = series.indexOf("{");
      if ((brace < 0 ? series : series.slice(0, brace)) !== name) continue;
      const inner = brace < 0 ? "" : series.slice(brace + 1, -1);
      const found = new Map(inner === "" ? [] : inner.split(",").map((pair) => { const eq = pair.indexOf("="); return [pair.slice(0, eq), pair.slice(eq + 2, -1)] as [string, string]; }));
      if (found.size === wanted.length && wanted.every(([k, v]) => found.get(k) === v)) return value;
    }
    throw new Error(`/metrics has no ${name}${wanted.length > 0 ? JSON.stringify(labels) : ""}`);
  };
}
