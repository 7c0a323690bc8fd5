// Domain errors are values with a stable reason; the rpc layer maps each kind
// to a gRPC code in one place. Reasons are part of the public contract.

type TraceErrorKind =
  /** The command itself is malformed: bad id, empty name, end before start. */
  | "invalid_argument"
  /** The command is legal but not in this state: end an ended span, start in a completed trace. */
  | "failed_precondition"
  /** The command names a span or trace that does not exist. */
  | "not_found"
  /** An id the client chose was already used for something else. */
  | "already_exists"
  /** The command would store an event too large for any reader of the log to be sent. */
  | "resource_exhausted";

export type TraceErrorReason =
  | "INVALID_TRACE_ID"
  | "INVALID_SPAN_ID"
  | "INVALID_PARENT_SPAN_ID"
  | "INVALID_TRACEPARENT"
  | "INVALID_SPAN_NAME"
  | "INVALID_ATTRIBUTE"
  | "INVALID_TIME_RANGE"
  | "INVALID_EVENT_NAME"
  | "INVALID_SPAN_KIND"
  | "INVALID_STATUS_CODE"
  | "INVALID_END_REASON"
  | "EMPTY_ATTRIBUTES"
  | "SPAN_ID_REUSED"
  | "REQUEST_ID_REUSED"
  | "SPAN_ALREADY_ENDED"
  | "SPAN_EVENT_LIMIT_REACHED"
  | "SPAN_ERROR_LIMIT_REACHED"
  | "SPAN_NOT_FOUND"
  | "PARENT_SPAN_NOT_FOUND"
  | "TRACE_NOT_FOUND"
  | "TRACE_COMPLETED"
  | "ROOT_SPAN_EXISTS"
  | "MISSING_COMMAND"
  | "EVENT_TOO_LARGE";

export interface TraceError {
  readonly kind: TraceErrorKind;
  readonly reason: TraceErrorReason;
  readonly message: string;
  /** Every variable the message names, for ErrorInfo.metadata. */
  readonly metadata: Readonly<Record<string, string>>;
}

export function traceError(
  kind: TraceErrorKind,
  reason: TraceErrorReason,
  message: string,
  metadata: Record<string, string> = {},
): TraceError {
  return { kind, reason, message, metadata };
}

/** Tells a TraceError from a command or result it travels with (those carry a `type`). */
export function isTraceError(value: object): value is TraceError {
  return !("type" in value) && "reason" in value && "kind" in value;
}
