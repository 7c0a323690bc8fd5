// The exporter's counters, in process: what tests and the server's log read.

import type { OtlpExportObserver, ResendCause } from "./otlp-export-observer.js";

export class OtlpExportStats implements OtlpExportObserver {
  exportedSpans = 0;
  droppedSpans = 0;
  readonly droppedByReason = new Map<string, number>();
  resentSpans = 0;
  readonly resentByCause = new Map<ResendCause, number>();
  sampledOutTraces = 0;
  retries = 0;
  /** The collector's warnings (partial successes that rejected nothing): how many, and the last (a list would grow as long as the server runs). */
  warnings = 0;
  lastWarning = "";

  spansExported(count: number): void {
    this.exportedSpans += count;
  }

  spansDropped(count: number, reason: string): void {
    this.droppedSpans += count;
    this.droppedByReason.set(reason, (this.droppedByReason.get(reason) ?? 0) + count);
  }

  spansResent(count: number, cause: ResendCause): void {
    this.resentSpans += count;
    this.resentByCause.set(cause, (this.resentByCause.get(cause) ?? 0) + count);
  }

  collectorWarned(message: string): void {
    this.warnings++;
    this.lastWarning = message;
  }

  tracesSampledOut(count: number): void {
    this.sampledOutTraces += count;
  }

  exportRetried(): void {
    this.retries++;
  }
}
