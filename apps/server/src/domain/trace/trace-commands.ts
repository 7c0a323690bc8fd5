// Commands on one trace. Ids are lowercase hex (see w3c-ids.ts); a time of 0n
// means "now" and is resolved by decide from the injected clock. Optional
// client-chosen ids make each command safe to retry.

import type { KeyValue, SpanEndReason, SpanKind, SpanLink, StatusCode } from "@traceledger/proto";

export interface StartSpan {
  readonly type: "StartSpan";
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  /** The parent lives in another system and need not exist in this trace. */
  readonly parentIsRemote: boolean;
  readonly name: string;
  readonly kind: SpanKind;
  readonly serviceName: string;
  readonly startTime: bigint;
  readonly attributes: readonly KeyValue[];
  readonly links: readonly SpanLink[];
  readonly resourceAttributes: readonly KeyValue[];
  readonly tracestate: string;
  /** W3C trace flags; bit 0 is sampled. */
  readonly flags: number;
  readonly scopeName: string;
}

export interface EndSpan {
  readonly type: "EndSpan";
  readonly traceId: string;
  readonly spanId: string;
  readonly endTime: bigint;
  readonly statusCode: StatusCode;
  readonly statusMessage: string;
  readonly endReason: SpanEndReason;
  readonly attributes: readonly KeyValue[];
}

export interface RecordError {
  readonly type: "RecordError";
  readonly traceId: string;
  readonly spanId: string;
  /** Empty: the server picks one, and a retry is not recognised. */
  readonly errorId: string;
  readonly time: bigint;
  readonly errorType: string;
  readonly message: string;
  readonly stacktrace: string;
  readonly escaped: boolean;
  readonly attributes: readonly KeyValue[];
}

export interface AddSpanEvent {
  readonly type: "AddSpanEvent";
  readonly traceId: string;
  readonly spanId: string;
  readonly eventId: string;
  readonly time: bigint;
  readonly name: string;
  readonly attributes: readonly KeyValue[];
}

export interface SetSpanAttributes {
  readonly type: "SetSpanAttributes";
  readonly traceId: string;
  readonly spanId: string;
  readonly updateId: string;
  readonly attributes: readonly KeyValue[];
}

/** Issued by the monitoring saga: close a span that never ended by itself. */
export interface CloseOrphanedSpan {
  readonly type: "CloseOrphanedSpan";
  readonly traceId: string;
  readonly spanId: string;
  readonly reason: "timeout" | "trace_closed";
}

/** Issued by the monitoring saga: close a trace at its timeout, orphaning what is still open. */
export interface CloseTrace {
  readonly type: "CloseTrace";
  readonly traceId: string;
}

export type TraceCommand =
  | StartSpan
  | EndSpan
  | RecordError
  | AddSpanEvent
  | SetSpanAttributes
  | CloseOrphanedSpan
  | CloseTrace;
