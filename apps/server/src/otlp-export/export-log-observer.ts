// The exporter's story in the server's log: refusals and possible duplicates as
// warnings, an outage once when it begins and once when it ends (not per retry).
// An outage is one request's retries: it begins with the request's first retry and
// ends when the request is settled, whether the collector then accepts it or
// refuses it for good (a request abandoned when this replica stops exporting ends
// it too, since the next one's first retry begins a new one).

import type { Logger } from "../log/logger.js";
import type { OtlpExportObserver } from "./otlp-export-observer.js";

export function exportLogObserver(log: Logger): OtlpExportObserver {
  /** An outage's beginning was logged and its end not yet. */
  let retrying = false;
  return {
    spansDropped: (count, reason) => log.warn("otlp export: the collector refused spans; they are dropped, not retried", { count, reason }),
    collectorWarned: (message) => log.warn("otlp export: the collector accepted the spans with a warning", { message }),
    spansResent: (count, cause) => log.warn("otlp export: re-sending spans the collector may already have", { count, cause }),
    tracesSampledOut: (count) => log.debug("otlp export: traces sampled out", { count }),
    exportRetried: (reason, waitMs, _reasonKind, retry) => {
      if (retrying && retry > 1) return log.debug("otlp export: retrying", { reason, waitMs });
      retrying = true;
      log.warn("otlp export: the collector is not accepting; retrying until it does (nothing is lost meanwhile)", { reason, waitMs });
    },
    exportRecovered: (retries, outcome) => {
      if (!retrying) return;
      retrying = false;
      if (outcome === "accepted") log.info("otlp export: the collector accepts again", { retries });
      else log.info("otlp export: the collector answers again, refusing the request it retried (its spans are dropped, see the warning)", { retries });
    },
  };
}

/** One observer that tells each of `observers`. */
export function allObservers(...observers: OtlpExportObserver[]): OtlpExportObserver {
  return {
    spansExported: (count) => observers.forEach((o) => o.spansExported?.(count)),
    spansDropped: (count, reason, reasonKind) => observers.forEach((o) => o.spansDropped?.(count, reason, reasonKind)),
    collectorWarned: (message) => observers.forEach((o) => o.collectorWarned?.(message)),
    spansResent: (count, cause) => observers.forEach((o) => o.spansResent?.(count, cause)),
    tracesSampledOut: (count) => observers.forEach((o) => o.tracesSampledOut?.(count)),
    exportRetried: (reason, waitMs, reasonKind, retry) => observers.forEach((o) => o.exportRetried?.(reason, waitMs, reasonKind, retry)),
    exportRecovered: (retries, outcome) => observers.forEach((o) => o.exportRecovered?.(retries, outcome)),
  };
}
