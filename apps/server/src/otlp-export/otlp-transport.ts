// The seam between the exporter and a collector: one encoded
// ExportTraceServiceRequest out, the collector's answer classified as the OTLP
// specification says (accepted, retryable, or not to be retried). A transport
// never throws for what the network or the collector did.

export type ExportOutcome =
  | {
      readonly kind: "accepted";
      /** Spans the collector reported rejecting in a partial success (not to be retried). */
      readonly rejectedSpans: number;
      /** The partial success's message, if any (a warning when nothing was rejected). */
      readonly message: string;
    }
  | {
      readonly kind: "retryable";
      /** For logs and counts, e.g. "HTTP 503" or "grpc UNAVAILABLE". */
      readonly reason: string;
      /** The reason's kind, a metric label from a short fixed list: http_503, grpc_unavailable, network, timeout. */
      readonly reasonKind: string;
      /** The wait the collector asked for (Retry-After, RetryInfo), if it did. */
      readonly retryAfterMs?: number;
      /** The request may have reached the collector (a timeout, a dropped connection): a retry may duplicate it. */
      readonly ambiguous: boolean;
    }
  | {
      readonly kind: "failed";
      /** Why the collector refused it, e.g. "HTTP 400: invalid span id"; never retried. */
      readonly reason: string;
      /** The reason's kind, a metric label from a short fixed list: http_400, grpc_invalid_argument, local (the request could not be made). */
      readonly reasonKind: string;
    };

export interface OtlpTransport {
  /** Sends one request (protobuf bytes of ExportTraceServiceRequest). */
  export(body: Uint8Array): Promise<ExportOutcome>;
  close(): Promise<void>;
}
