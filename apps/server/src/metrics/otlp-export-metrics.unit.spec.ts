import { describe, expect, it } from "vitest";
import { parsePrometheusText, seriesOf } from "../../test/support/prometheus-text.js";
import { otlpExportMetrics } from "./otlp-export-metrics.js";
import { ServerMetrics } from "./server-metrics.js";

async function scrape(metrics: ServerMetrics, name: string): Promise<Array<[Record<string, string | number>, number]>> {
  const families = parsePrometheusText(await metrics.render());
  const family = families.get(name);
  if (!family) throw new Error(`${name} is not exported`);
  return seriesOf(family).map((s) => [s.labels, s.value]);
}

describe("otlpExportMetrics", () => {
  it("starts with 0 spans exported, and no retries, drops or traces sampled out yet", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    expect(await scrape(metrics, "traceledger_otlp_export_spans_total")).toEqual([[{ outcome: "exported" }, 0]]);
    expect(await scrape(metrics, "traceledger_otlp_export_retries_total")).toEqual([]);
    expect(await scrape(metrics, "traceledger_otlp_export_traces_sampled_out_total")).toEqual([[{}, 0]]);
  });

  it("counts what the exporter reports, labelled by the kinds of reasons, never the collector's messages", async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const observer = otlpExportMetrics(metrics);
    observer.exportRetried!("HTTP 503", 100, "http_503", 1);
    observer.exportRetried!("HTTP 503", 200, "http_503", 2);
    observer.exportRetried!("grpc UNAVAILABLE: Connection dropped", 100, "grpc_unavailable", 1);
    observer.exportRetried!("network: ECONNREFUSED", 100, "network", 1);
    observer.spansExported!(10);
    observer.spansExported!(5);
    observer.spansDropped!(3, "HTTP 400: span 0123 has no name", "http_400");
    observer.spansDropped!(2, "partial success: too old", "partial_success");
    observer.spansResent!(4, "ambiguous_retry");
    observer.spansResent!(1, "redelivered");
    observer.tracesSampledOut!(7);
    expect(await scrape(metrics, "traceledger_otlp_export_retries_total")).toEqual([
      [{ reason: "http_503" }, 2],
      [{ reason: "grpc_unavailable" }, 1],
      [{ reason: "network" }, 1],
    ]);
    expect(await scrape(metrics, "traceledger_otlp_export_spans_total")).toEqual([
      [{ outcome: "exported" }, 15],
      [{ outcome: "dropped", reason: "http_400" }, 3],
      [{ outcome: "dropped", reason: "partial_success" }, 2],
      [{ outcome: "resent", reason: "ambiguous_retry" }, 4],
      [{ outcome: "resent", reason: "redelivered" }, 1],
    ]);
    expect(await scrape(metrics, "traceledger_otlp_export_traces_sampled_out_total")).toEqual([[{}, 7]]);
  });
});
