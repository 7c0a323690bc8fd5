// The facts the saga appends to the monitoring stream. An alert is raised once
// and resolved once; both carry the same deterministic alert id (alert-ids.ts),
// so the same log decided again, by a replay or by another replica after a
// failover, yields the same events, and the store's idempotent append keeps one.

export type AlertKind = "slow_span" | "slow_trace" | "error_rate" | "latency_anomaly" | "critical_error";

export interface SpanSubject {
  readonly type: "span";
  readonly traceId: string;
  readonly spanId: string;
  readonly service: string;
  readonly operation: string;
}

export interface TraceSubject {
  readonly type: "trace";
  readonly traceId: string;
  /** The service and span name of the first span the saga saw; empty when it saw none. */
  readonly service: string;
  readonly operation: string;
}

export interface ServiceSubject {
  readonly type: "service";
  readonly service: string;
}

export interface OperationSubject {
  readonly type: "operation";
  readonly service: string;
  readonly operation: string;
}

export type AlertSubject = SpanSubject | TraceSubject | ServiceSubject | OperationSubject;

/** A span that shows what an alert is about, to open in the trace view. */
export interface Exemplar {
  readonly traceId: string;
  readonly spanId: string;
}

interface AlertRaisedCommon {
  readonly type: "AlertRaised";
  readonly alertId: string;
  /**
   * When the condition began, Unix nanoseconds: for a slow span its start plus
   * the threshold, not the tick that noticed it. Detection time is the stored
   * event's recordedAt.
   */
  readonly at: bigint;
  /**
   * The measured value and its limit, in `unit`: nanoseconds, a ratio in [0, 1],
   * or a count. A slow span or trace is raised at its onset, where the two are
   * equal; its resolution carries the final duration.
   */
  readonly value: number;
  readonly threshold: number;
  readonly unit: "ns" | "ratio" | "count";
  /** One line for people (webhook, logs); the fields above are for programs. */
  readonly message: string;
}

export type AlertRaised = AlertRaisedCommon &
  (
    | { readonly kind: "slow_span"; readonly subject: SpanSubject }
    | { readonly kind: "slow_trace"; readonly subject: TraceSubject }
    | { readonly kind: "critical_error"; readonly subject: SpanSubject; readonly errorType: string; readonly errorId: string }
    | {
        readonly kind: "error_rate";
        readonly subject: ServiceSubject | OperationSubject;
        /** Ended spans and errored spans in the window, the errored span included. */
        readonly samples: number;
        readonly errors: number;
        readonly exemplar: Exemplar;
      }
    | { readonly kind: "latency_anomaly"; readonly subject: OperationSubject; readonly samples: number; readonly exemplar: Exemplar }
  );

export type ResolveReason =
  /** The slow or failing span ended (value: its duration). */
  | "span_ended"
  /** The span was closed as an orphan (value: how long it was open). */
  | "span_orphaned"
  /** The slow trace completed (value: its duration). */
  | "trace_completed"
  /** The error rate fell to the resolve level (value: the rate). */
  | "below_threshold"
  /** Too few spans left in the window to say the rate is still high (value: the rate). */
  | "insufficient_samples"
  /** Enough spans in a row within the latency band (value: the last duration). */
  | "back_to_baseline"
  /** The operation had no span for the retention period (value: 0). */
  | "idle"
  /** The alert's trace was deleted by retention while the alert was open (value: 0). */
  | "trace_deleted"
  /** Read from the stream: a reason this build does not know (a newer replica's), or none. Never decided here. */
  | "unknown";

export interface AlertResolved {
  readonly type: "AlertResolved";
  readonly alertId: string;
  readonly kind: AlertKind;
  readonly subject: AlertSubject;
  /** When the condition ended, Unix nanoseconds (a span's end, a window's bucket boundary, ...). */
  readonly at: bigint;
  readonly reason: ResolveReason;
  readonly value: number;
  readonly unit: "ns" | "ratio" | "count";
}

export type MonitoringEvent = AlertRaised | AlertResolved;
