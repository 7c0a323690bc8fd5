// GET /metrics as Prometheus does it, parsed strictly (see prometheus-text.ts).

import { parsePrometheusText, type MetricFamily } from "../../support/prometheus-text.js";
import { within } from "./wait.js";

export interface Scrape {
  readonly contentType: string | null;
  readonly text: string;
  readonly families: Map<string, MetricFamily>;
}

export async function scrapeMetrics(httpAddress: string): Promise<Scrape> {
  const response = await within(10_000, "GET /metrics", fetch(`http://${httpAddress}/metrics`, { headers: { accept: "text/plain" } }));
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${text}`);
  return { contentType: response.headers.get("content-type"), text, families: parsePrometheusText(text) };
}
