// What the exporter reports. Every method is optional, so metrics, logs and the
// in-process counters (OtlpExportStats) each implement what they need.

export type ResendCause =
  /** Events a previous holder was exporting when it stopped without saving its checkpoint (a crash). */
  | "redelivered"
  /** A retry after a failure that may have reached the collector (a timeout, a dropped connection). */
  | "ambiguous_retry";

export interface OtlpExportObserver {
  /** The collector accepted these spans. */
  spansExported?(count: number): void;
  /**
   * The collector refused these spans for good (a non-retryable answer, or a partial success), or
   * the request could not be made at all; they are not sent again. `reasonKind` is `reason` as a
   * metric label from a short fixed list (http_400, grpc_invalid_argument, partial_success, local).
   */
  spansDropped?(count: number, reason: string, reasonKind: string): void;
  /** The collector took every span but said something (a partial success with no rejected span: OTLP's warning). */
  collectorWarned?(message: string): void;
  /** Spans sent that the collector may already have: possible duplicates, an upper bound. */
  spansResent?(count: number, cause: ResendCause): void;
  /** Completed traces that tail sampling kept from leaving (counted at their first completion). */
  tracesSampledOut?(count: number): void;
  /**
   * A request failed in a retryable way and will be sent again after a wait. `reasonKind` is
   * `reason` as a metric label (http_503, grpc_unavailable, network, timeout); `retry` counts this
   * request's retries, 1 for its first (an outage begins).
   */
  exportRetried?(reason: string, waitMs: number, reasonKind: string, retry: number): void;
  /** A request that was retried is settled: accepted, or refused for good. Either way the collector answers again. */
  exportRecovered?(retries: number, outcome: "accepted" | "refused"): void;
}
