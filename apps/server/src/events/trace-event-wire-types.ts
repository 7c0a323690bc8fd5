// The wire type of every field each stored trace event declares, for the
// narrow readers that step over what they do not read (the saga's and the
// ListTraces projector's). A declared field with another wire type is left to
// protobuf-es, as the whole-message reader does; fields a message does not
// declare may have any wire type and are stepped over. Checked against the
// schemas by trace-event-wire-types.unit.spec.ts.

/** Index: field number; -1 for a number the message does not use. */
export const TRACE_EVENT_WIRE_TYPES: ReadonlyMap<string, readonly number[]> = new Map([
  ["TraceStarted", [-1, 2, 1, 0, 2]],
  ["SpanStarted", [-1, 2, 2, 2, 0, 2, 0, 2, 1, 2, 2, 2, 2, 5, 0, 0, 2, 0, 0, 2, 2, 0, 2, 2, 0]],
  ["SpanEnded", [-1, 2, 2, 1, 2, 0, 2, 0, 0, 2]],
  ["SpanErrorOccurred", [-1, 2, 2, 2, 1, 2, 2, 2, 0, 2, 0, 0]],
  ["SpanEventRecorded", [-1, 2, 2, 2, 1, 2, 2, 0, 0]],
  ["SpanAttributeUpdated", [-1, 2, 2, 2, 2, 0, 0, 1]],
  ["SpanOrphaned", [-1, 2, 2, 1, 0, 0]],
  ["TraceCompleted", [-1, 2, 1, 1, 0, 0, 0, 0, 0, 0]],
]);

/** SpanEnded's Status. */
export const STATUS_WIRE_TYPES: readonly number[] = [-1, -1, 2, 0];
