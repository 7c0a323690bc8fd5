// Feeds the OTLP exporter's counters on /metrics from the exporter's observer:
// spans exported, dropped and re-sent, retries, and traces sampled out. The
// exporter runs on the replica holding its lease, so only that replica's counts move.

import type { OtlpExportObserver } from "../otlp-export/otlp-export-observer.js";
import type { ServerMetrics } from "./server-metrics.js";

export function otlpExportMetrics(metrics: ServerMetrics): OtlpExportObserver {
  return {
    spansExported: (count) => metrics.otlpSpansExported(count),
    spansDropped: (count, _reason, reasonKind) => metrics.otlpSpansDropped(count, reasonKind),
    spansResent: (count, cause) => metrics.otlpSpansResent(count, cause),
    tracesSampledOut: (count) => metrics.otlpTracesSampledOut(count),
    exportRetried: (_reason, _waitMs, reasonKind) => metrics.otlpExportRetried(reasonKind),
  };
}
