// Terse builders for trace events and commands in specs. Defaults describe one
// small trace: a root span of "checkout" with a child in "payments".

import { create } from "@bufbuild/protobuf";
import {
  KeyValueSchema,
  SpanAttributeUpdatedSchema,
  SpanEndedSchema,
  SpanEndReason,
  SpanErrorOccurredSchema,
  SpanEventRecordedSchema,
  SpanKind,
  SpanStartedSchema,
  StatusCode,
  TraceCompletedSchema,
  TraceCompletionReason,
  TraceOrigin,
  TraceStartedSchema,
  type KeyValue,
} from "@traceledger/proto";
import type {
  AddSpanEvent,
  EndSpan,
  FinishedSpan,
  FinishedSpanError,
  FinishedSpanEvent,
  RecordError,
  RecordFinishedSpans,
  SetSpanAttributes,
  SpanProvenance,
  StartSpan,
} from "../trace/trace-commands.js";
import type { TraceEventCase } from "../trace/trace-event.js";
import { hexToBytes } from "../trace/w3c-ids.js";
import { NOW, TRACE } from "./trace-specification.js";

export const ROOT = "00f067aa0ba902b7";
export const CHILD = "b7ad6b7169203331";
export const GRANDCHILD = "53995c3f42cd8ad8";
export const REMOTE_PARENT = "e457b5a2e4d86bd1";

export const T0 = NOW - 10_000_000n;
export const ms = (n: number) => BigInt(n) * 1_000_000n;

export function attr(key: string, value: string | number | boolean): KeyValue {
  const v =
    typeof value === "string"
      ? { case: "stringValue" as const, value }
      : typeof value === "boolean"
        ? { case: "boolValue" as const, value }
        : { case: "intValue" as const, value: BigInt(value) };
  return create(KeyValueSchema, { key, value: { value: v } });
}

export function startSpan(spanId: string, fields: Partial<StartSpan> = {}): StartSpan {
  return {
    type: "StartSpan",
    traceId: TRACE,
    spanId,
    parentSpanId: "",
    parentIsRemote: false,
    name: spanId === ROOT ? "POST /checkout" : "charge card",
    kind: SpanKind.SERVER,
    serviceName: spanId === ROOT ? "checkout" : "payments",
    startTime: T0,
    attributes: [],
    links: [],
    resourceAttributes: [],
    tracestate: "",
    flags: 1,
    scopeName: "",
    ...fields,
  };
}

export function endSpan(spanId: string, fields: Partial<EndSpan> = {}): EndSpan {
  return {
    type: "EndSpan",
    traceId: TRACE,
    spanId,
    endTime: T0 + ms(5),
    statusCode: StatusCode.OK,
    statusMessage: "",
    endReason: SpanEndReason.UNSPECIFIED,
    attributes: [],
    name: "",
    ...fields,
  };
}

export function recordError(spanId: string, fields: Partial<RecordError> = {}): RecordError {
  return {
    type: "RecordError",
    traceId: TRACE,
    spanId,
    errorId: "err-1",
    time: T0 + ms(1),
    errorType: "CardDeclined",
    message: "card declined",
    stacktrace: "",
    escaped: false,
    attributes: [],
    ...fields,
  };
}

export function addSpanEvent(spanId: string, fields: Partial<AddSpanEvent> = {}): AddSpanEvent {
  return { type: "AddSpanEvent", traceId: TRACE, spanId, eventId: "ev-1", time: T0 + ms(1), name: "cache.miss", attributes: [], ...fields };
}

export function setSpanAttributes(spanId: string, fields: Partial<SetSpanAttributes> = {}): SetSpanAttributes {
  return { type: "SetSpanAttributes", traceId: TRACE, spanId, updateId: "upd-1", attributes: [attr("order.id", "o-1")], ...fields };
}

/** A span reported after it finished; the defaults match startSpan(spanId) and endSpan(spanId). */
export function finishedSpan(spanId: string, fields: Partial<FinishedSpan> = {}): FinishedSpan {
  const { type: _type, traceId: _traceId, ...started } = startSpan(spanId);
  const { endTime, statusCode, statusMessage } = endSpan(spanId);
  return { ...started, flags: started.flags ?? 1, parentIsRemote: undefined, endTime, statusCode, statusMessage, droppedAttributesCount: 0, events: [], ...fields };
}

export function finishedEvent(eventId: string, fields: Partial<FinishedSpanEvent> = {}): FinishedSpanEvent {
  return { type: "event", eventId, time: T0 + ms(1), name: "cache.miss", attributes: [], droppedAttributesCount: 0, ...fields };
}

export function finishedError(errorId: string, fields: Partial<FinishedSpanError> = {}): FinishedSpanError {
  return {
    type: "error",
    errorId,
    time: T0 + ms(1),
    errorType: "CardDeclined",
    message: "card declined",
    stacktrace: "",
    escaped: false,
    attributes: [],
    droppedAttributesCount: 0,
    ...fields,
  };
}

export function recordFinished(...spans: FinishedSpan[]): RecordFinishedSpans {
  return { type: "RecordFinishedSpans", traceId: TRACE, spans };
}

// ---- events, as decide writes them for the commands above ----

export function traceStarted(fields: { origin?: TraceOrigin; at?: bigint; service?: string } = {}): TraceEventCase {
  return {
    case: "traceStarted",
    value: create(TraceStartedSchema, {
      traceId: hexToBytes(TRACE),
      startTimeUnixNano: fields.at ?? T0,
      origin: fields.origin ?? TraceOrigin.ROOT,
      serviceName: fields.service ?? "checkout",
    }),
  };
}

export function spanStarted(
  spanId: string,
  fields: Partial<StartSpan> & { dropped?: number; truncated?: number; droppedEvents?: number; droppedLinks?: number; provenance?: SpanProvenance } = {},
): TraceEventCase {
  const c = startSpan(spanId, fields);
  const p = fields.provenance;
  return {
    case: "spanStarted",
    value: create(SpanStartedSchema, {
      traceId: hexToBytes(c.traceId),
      spanId: hexToBytes(c.spanId),
      parentSpanId: c.parentSpanId ? hexToBytes(c.parentSpanId) : new Uint8Array(0),
      parentIsRemote: c.parentIsRemote,
      name: c.name,
      kind: c.kind,
      serviceName: c.serviceName,
      startTimeUnixNano: c.startTime,
      attributes: [...c.attributes],
      tracestate: c.tracestate,
      links: [...c.links],
      resourceAttributes: [...c.resourceAttributes],
      flags: c.flags,
      droppedAttributesCount: fields.dropped ?? 0,
      truncatedValuesCount: fields.truncated ?? 0,
      scopeName: c.scopeName,
      droppedEventsCount: fields.droppedEvents ?? 0,
      droppedLinksCount: fields.droppedLinks ?? 0,
      scopeVersion: p?.scopeVersion ?? c.scopeVersion ?? "",
      scopeAttributes: [...(p?.scopeAttributes ?? [])],
      scopeDroppedAttributesCount: p?.scopeDroppedAttributesCount ?? 0,
      scopeSchemaUrl: p?.scopeSchemaUrl ?? "",
      resourceSchemaUrl: p?.resourceSchemaUrl ?? "",
      resourceDroppedAttributesCount: p?.resourceDroppedAttributesCount ?? 0,
    }),
  };
}

export function spanEnded(spanId: string, fields: Partial<EndSpan> = {}): TraceEventCase {
  const c = endSpan(spanId, fields);
  return {
    case: "spanEnded",
    value: create(SpanEndedSchema, {
      traceId: hexToBytes(c.traceId),
      spanId: hexToBytes(c.spanId),
      endTimeUnixNano: c.endTime,
      status: { code: c.statusCode, message: c.statusMessage },
      endReason: c.endReason === SpanEndReason.UNSPECIFIED ? SpanEndReason.COMPLETED : c.endReason,
      attributes: [...c.attributes],
      name: c.name,
    }),
  };
}

export function errorOccurred(spanId: string, fields: Partial<RecordError> = {}): TraceEventCase {
  const c = recordError(spanId, fields);
  return {
    case: "spanErrorOccurred",
    value: create(SpanErrorOccurredSchema, {
      traceId: hexToBytes(c.traceId),
      spanId: hexToBytes(c.spanId),
      errorId: c.errorId,
      timeUnixNano: c.time,
      errorType: c.errorType,
      message: c.message,
      stacktrace: c.stacktrace,
      escaped: c.escaped,
      attributes: [...c.attributes],
    }),
  };
}

export function eventRecorded(spanId: string, fields: Partial<AddSpanEvent> = {}): TraceEventCase {
  const c = addSpanEvent(spanId, fields);
  return {
    case: "spanEventRecorded",
    value: create(SpanEventRecordedSchema, {
      traceId: hexToBytes(c.traceId),
      spanId: hexToBytes(c.spanId),
      eventId: c.eventId,
      timeUnixNano: c.time,
      name: c.name,
      attributes: [...c.attributes],
    }),
  };
}

export function attributesUpdated(spanId: string, fields: Partial<SetSpanAttributes> & { at?: bigint } = {}): TraceEventCase {
  const c = setSpanAttributes(spanId, fields);
  return {
    case: "spanAttributeUpdated",
    value: create(SpanAttributeUpdatedSchema, {
      traceId: hexToBytes(c.traceId),
      spanId: hexToBytes(c.spanId),
      updateId: c.updateId,
      attributes: [...c.attributes],
      timeUnixNano: fields.at ?? NOW,
    }),
  };
}

export function traceCompleted(fields: {
  start?: bigint;
  end?: bigint;
  spans?: number;
  errors?: number;
  orphans?: number;
  reason?: TraceCompletionReason;
  /** Spans recorded after the first completion (a restated completion). */
  late?: number;
}): TraceEventCase {
  const start = fields.start ?? T0;
  const end = fields.end ?? T0 + ms(5);
  return {
    case: "traceCompleted",
    value: create(TraceCompletedSchema, {
      traceId: hexToBytes(TRACE),
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      durationNano: end - start,
      spanCount: fields.spans ?? 1,
      errorCount: fields.errors ?? 0,
      orphanedSpanCount: fields.orphans ?? 0,
      reason: fields.reason ?? TraceCompletionReason.ROOT_ENDED,
      lateSpanCount: fields.late ?? 0,
    }),
  };
}

/** A running trace: the root started, and the child started under it. */
export function runningTrace(): TraceEventCase[] {
  return [traceStarted(), spanStarted(ROOT), spanStarted(CHILD, { parentSpanId: ROOT })];
}
