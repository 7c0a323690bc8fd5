// The lifecycle commands a process sends, as plain data. They mirror the
// TracingService requests (StartSpan, EndSpan, RecordError, AddSpanEvent,
// SetSpanAttributes) with ids as lowercase hex and times as Unix nanoseconds,
// and are turned into protobuf bytes only when a batch ships
// (wire/command-encoder.ts).
//
// Every command names what it creates with a client-chosen id (span id, error
// id, event id, update id) and carries explicit times, so resending it after a
// timeout or a lost answer is recognised by the server as the same command.

import type { Attributes } from "./attributes.js";
import type { Resource } from "./resource.js";

/** Numbers of traceledger.v1.SpanKind (OTLP's). */
export type SpanKindNumber = 0 | 1 | 2 | 3 | 4 | 5;
/** Numbers of traceledger.v1.StatusCode (OTLP's). */
export type StatusCodeNumber = 0 | 1 | 2;
/** Numbers of traceledger.v1.SpanEndReason. */
export type EndReasonNumber = 0 | 1 | 2;
/** SPAN_END_REASON_CANCELLED: the operation was cut short (by its caller, or the process stopping). */
export const END_REASON_CANCELLED = 2;

interface SpanTarget {
  readonly traceId: string;
  readonly spanId: string;
  /** How many times this command was sent again after a retryable failure. */
  retries?: number;
  /** The first flush that waits for it (a number the sink counts up); set by the sink. */
  flush?: number;
}

export interface SpanLinkData {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState?: string;
  readonly traceFlags?: number;
  readonly attributes?: Attributes;
}

export interface StartSpanCommand extends SpanTarget {
  readonly type: "startSpan";
  readonly parentSpanId: string;
  readonly parentIsRemote: boolean;
  readonly tracestate: string;
  /** May change (updateName) until the command is sealed into a batch. */
  name: string;
  readonly kind: SpanKindNumber;
  readonly serviceName: string;
  readonly startTimeUnixNano: bigint;
  /** Owned by the command; attributes set before it ships are merged here. */
  attributes: Record<string, Attributes[string]> | undefined;
  readonly links?: readonly SpanLinkData[];
  readonly resource?: Resource;
  readonly scopeName: string;
  /** The scope's version; empty or absent when not known. */
  readonly scopeVersion?: string;
  /** The trace id was picked at random (Trace Context Level 2's flag): the server stores and propagates the flag. */
  readonly randomTraceId?: boolean;
  /** Set when the command is encoded into a batch: later changes go as their own commands. */
  sealed: boolean;
}

export interface EndSpanCommand extends SpanTarget {
  readonly type: "endSpan";
  readonly endTimeUnixNano: bigint;
  readonly statusCode: StatusCodeNumber;
  readonly statusMessage: string;
  readonly endReason: EndReasonNumber;
  readonly attributes?: Attributes;
  /** The span's final name, when it was renamed after its start had shipped; absent keeps the name sent. */
  readonly name?: string;
}

export interface RecordErrorCommand extends SpanTarget {
  readonly type: "recordError";
  readonly errorId: string;
  readonly timeUnixNano: bigint;
  readonly errorType: string;
  readonly message: string;
  readonly stacktrace: string;
  readonly escaped: boolean;
  readonly attributes?: Attributes;
}

export interface AddSpanEventCommand extends SpanTarget {
  readonly type: "addSpanEvent";
  readonly eventId: string;
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes?: Attributes;
}

export interface SetSpanAttributesCommand extends SpanTarget {
  readonly type: "setSpanAttributes";
  readonly updateId: string;
  readonly attributes: Attributes;
}

export type SpanCommand = StartSpanCommand | EndSpanCommand | RecordErrorCommand | AddSpanEventCommand | SetSpanAttributesCommand;
