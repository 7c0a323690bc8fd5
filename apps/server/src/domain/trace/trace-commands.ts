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
  /**
   * W3C trace flags; bit 0 is sampled. Undefined when the request gave none (no
   * traceparent): the span then takes its parent's, or sampled for a new trace.
   */
  readonly flags?: number;
  /**
   * Without flags: the caller picked the trace id at random (Trace Context Level 2's random
   * trace-id flag). Used only where no local parent gives the flags: a span's flags follow its
   * parent's, as its traceparent would have carried them.
   */
  readonly randomTraceId?: boolean;
  readonly scopeName: string;
  /** The instrumentation scope's version; empty when not given. */
  readonly scopeVersion?: string;
  /**
   * The client's request_id when the span id was derived from it (the client chose none):
   * a span id taken by other content then means the request_id was reused.
   */
  readonly requestId?: string;
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
  /** The span's final name; "" keeps the name it started with. */
  readonly name: string;
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

/**
 * Issued by the monitoring saga: complete a trace begun elsewhere that has been idle past its
 * timeout (reason TIMED_OUT). Conditional: the saga judged it idle at `expectedVersion`, the
 * stream version of the last event it had read of the trace. A trace that has moved on since
 * (a span started in it after the saga's read), or that has a span running, is left as it is:
 * closing never ends a running span (only CloseOrphanedSpan does).
 */
export interface CloseTrace {
  readonly type: "CloseTrace";
  readonly traceId: string;
  readonly expectedVersion: number;
}

/** An event of a finished span, as its reporter recorded it. */
export interface FinishedSpanEvent {
  readonly type: "event";
  /** Unique within the span and the same each time the span is reported, so a re-report is recognised. */
  readonly eventId: string;
  readonly time: bigint;
  readonly name: string;
  readonly attributes: readonly KeyValue[];
  /** Attributes the reporter dropped at its own limit. */
  readonly droppedAttributesCount: number;
}

/** An error (an exception) recorded on a finished span, as its reporter recorded it. */
export interface FinishedSpanError {
  readonly type: "error";
  /** Unique within the span and the same each time the span is reported. */
  readonly errorId: string;
  readonly time: bigint;
  readonly errorType: string;
  readonly message: string;
  readonly stacktrace: string;
  readonly escaped: boolean;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
}

/** A span reported after it finished (an OTLP span): its start, what happened in it, and its end. */
export interface FinishedSpan {
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  /**
   * The reporter says whether the parent lives in another process (OTLP's
   * Span.flags bits 8 and 9); undefined when it does not say, and then a parent
   * not in the trace is taken for remote.
   */
  readonly parentIsRemote: boolean | undefined;
  readonly name: string;
  readonly kind: SpanKind;
  readonly serviceName: string;
  /** Both times are required: a finished span has no "now". */
  readonly startTime: bigint;
  readonly endTime: bigint;
  readonly attributes: readonly KeyValue[];
  /** Attributes the reporter dropped at its own limit; counted with ours. */
  readonly droppedAttributesCount: number;
  readonly links: readonly SpanLink[];
  readonly resourceAttributes: readonly KeyValue[];
  readonly tracestate: string;
  /** OTLP's Span.flags: W3C trace flags in the low 8 bits. */
  readonly flags: number;
  readonly scopeName: string;
  /** The rest of what OTLP says about the span's scope and resource; undefined when nothing. */
  readonly provenance?: SpanProvenance;
  readonly statusCode: StatusCode;
  readonly statusMessage: string;
  /** Events and errors in the order they were reported. */
  readonly events: ReadonlyArray<FinishedSpanEvent | FinishedSpanError>;
  /** Events the reporter dropped at its own limit (OTLP's dropped_events_count); 0 when absent. */
  readonly droppedEventsCount?: number;
  /** Links the reporter dropped, plus those left out as naming no span; 0 when absent. */
  readonly droppedLinksCount?: number;
}

/**
 * What an OTLP report says about where its spans came from, beyond the resource's
 * attributes and the scope's name: kept so that the export can send it on unchanged.
 * One value is shared by the spans of one scope.
 */
export interface SpanProvenance {
  readonly scopeVersion: string;
  readonly scopeAttributes: readonly KeyValue[];
  /** Scope attributes the reporter dropped; traceledger's own drops are added when stored. */
  readonly scopeDroppedAttributesCount: number;
  readonly scopeSchemaUrl: string;
  readonly resourceSchemaUrl: string;
  readonly resourceDroppedAttributesCount: number;
}

/**
 * Records spans that already finished, all of one trace (one OTLP request's
 * spans of that trace). Each span is accepted, recognised as already recorded,
 * or rejected on its own; one bad span does not sink the others. Unlike
 * StartSpan, it is accepted on a completed trace: finished spans are routinely
 * reported after the root ended, and refusing them would lose them.
 */
export interface RecordFinishedSpans {
  readonly type: "RecordFinishedSpans";
  readonly traceId: string;
  readonly spans: readonly FinishedSpan[];
}

export type TraceCommand =
  | StartSpan
  | RecordFinishedSpans
  | EndSpan
  | RecordError
  | AddSpanEvent
  | SetSpanAttributes
  | CloseOrphanedSpan
  | CloseTrace;
