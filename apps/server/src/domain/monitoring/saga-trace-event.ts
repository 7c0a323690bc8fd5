// A trace event as far as the saga reads it. Every TraceEventCase is one (the
// messages carry these fields and more), so specs and simulations feed full
// events, while the runner's reader decodes only these fields: on the ingest
// path every replica decodes every event of the log for the saga.

import type { SpanKind } from "@traceledger/proto";

export interface SagaTraceStarted {
  readonly startTimeUnixNano: bigint;
  readonly serviceName: string;
}

export interface SagaSpanStarted {
  readonly spanId: Uint8Array;
  /** Empty for a local root. */
  readonly parentSpanId: Uint8Array;
  readonly name: string;
  readonly kind: SpanKind;
  readonly serviceName: string;
  readonly startTimeUnixNano: bigint;
}

export interface SagaSpanEnded {
  readonly spanId: Uint8Array;
  readonly endTimeUnixNano: bigint;
  readonly status?: { readonly code: number };
  /** A SpanEndReason. */
  readonly endReason: number;
}

export interface SagaSpanOrphaned {
  readonly spanId: Uint8Array;
  readonly closedTimeUnixNano: bigint;
  readonly openDurationNano: bigint;
}

export interface SagaSpanErrorOccurred {
  readonly spanId: Uint8Array;
  readonly errorId: string;
  readonly timeUnixNano: bigint;
  readonly errorType: string;
  readonly message: string;
}

export interface SagaTraceCompleted {
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly durationNano: bigint;
}

/** Span events and attribute updates only show the trace is active: nothing of them is read. */
export type SagaTraceEvent =
  | { readonly case: "traceStarted"; readonly value: SagaTraceStarted }
  | { readonly case: "spanStarted"; readonly value: SagaSpanStarted }
  | { readonly case: "spanEnded"; readonly value: SagaSpanEnded }
  | { readonly case: "spanOrphaned"; readonly value: SagaSpanOrphaned }
  | { readonly case: "spanErrorOccurred"; readonly value: SagaSpanErrorOccurred }
  | { readonly case: "spanEventRecorded"; readonly value: object }
  | { readonly case: "spanAttributeUpdated"; readonly value: object }
  | { readonly case: "traceCompleted"; readonly value: SagaTraceCompleted };
