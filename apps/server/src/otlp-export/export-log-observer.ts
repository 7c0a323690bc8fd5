// The exporter's story in the server's log: refusals and possible duplicates as
// warnings, an outage once when it begins and once when it ends (not per retry).

import type { Logger } from "../log/logger.js";
import type { OtlpExportObserver } from "./otlp-export-observer.js";

export function exportLogObserver(log: Logger): OtlpExportObserver {
  let retrying = false;
  return {
    spansDropped: (count, reason) => log.warn("otlp export: the collector refused spans; they are dropped, not retried", { count, reason }),
    collectorWarned: (message) => log.warn("otlp export: the collector accepted the spans with a warning", { message }),
    spansResent: (count, cause) => log.warn("otlp export: re-sending spans the collector may already have", { count, cause }),
    tracesSampledOut: (count) => log.debug("otlp export: traces sampled out", { count }),
    exportRetried: (reason, waitMs) => {
      if (retrying) return log.debug("otlp export: retrying", { reason, waitMs });
      retrying = true;
      log.warn("otlp export: the collector is not accepting; retrying until it does (nothing is lost meanwhile)", { reason, waitMs });
    },
    exportRecovered: (retries) => {
      retrying = false;
      log.info("otlp export: the collector accepts again", { retries });
    },
  };
}

/** One observer that tells each of `observers`. */
export function allObservers(...observers: OtlpExportObserver[]): OtlpExportObserver {
  return {
    spansExported: (count) => observers.forEach((o) => o.spansExported?.(count)),
    spansDropped: (count, reason) => observers.forEach((o) => o.spansDropped?.(count, reason)),
    collectorWarned: (message) => observers.forEach((o) => o.collectorWarned?.(message)),
    spansResent: (count, cause) => observers.forEach((o) => o.spansResent?.(count, cause)),
    tracesSampledOut: (count) => observers.forEach((o) => o.tracesSampledOut?.(count)),
    exportRetried: (reason, waitMs) => observers.forEach((o) => o.exportRetried?.(reason, waitMs)),
    exportRecovered: (retries) => observers.forEach((o) => o.exportRecovered?.(retries)),
  };
}
