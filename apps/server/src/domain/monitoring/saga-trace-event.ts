// A trace event as far as the saga reads it. Every TraceEventCase is one (the
// messages carry these fields and more), so specs and simulations feed full
// events, while the runner's reader decodes only these fields: on the ingest
// path every replica decodes every event of the log for the saga. Span ids
// may come as bytes (a decoded message) or already as lowercase hex (the
// runner's reader: the saga keys spans by hex, and a view of the bytes per
// event was a sixth of its garbage).

import type { SpanKind } from "@traceledger/proto";

export interface SagaTraceStarted {
  readonly startTimeUnixNano: bigint;
  readonly serviceName: string;
}

/** Bytes, or lowercase hex: the same id. */
export type SagaSpanId = Uint8Array | string;

export interface SagaSpanStarted {
  readonly spanId: SagaSpanId;
  /** Empty for a local root. */
  readonly parentSpanId: SagaSpanId;
  readonly name: string;
  readonly kind: SpanKind;
  readonly serviceName: string;
  readonly startTimeUnixNano: bigint;
}

export interface SagaSpanEnded {
  readonly spanId: SagaSpanId;
  readonly endTimeUnixNano: bigint;
  readonly status?: { readonly code: number };
  /** A SpanEndReason. */
  readonly endReason: number;
  /** The span's new name when it was renamed as it ended; empty or absent when it kept its start's. */
  readonly name?: string;
}

export interface SagaSpanOrphaned {
  readonly spanId: SagaSpanId;
  readonly closedTimeUnixNano: bigint;
  readonly openDurationNano: bigint;
}

export interface SagaSpanErrorOccurred {
  readonly spanId: SagaSpanId;
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
