// Wire requests -> domain commands. Only the shape of the request is checked
// here (which fields name the span or its parent); every rule lives in the domain.

import type {
  AddSpanEventRequest,
  EndSpanRequest,
  RecordErrorRequest,
  SetSpanAttributesRequest,
  StartSpanRequest,
  StartTraceRequest,
  TracingCommand,
} from "@traceledger/proto";
import type { TraceCommand } from "../domain/trace/trace-commands.js";
import { isTraceError, traceError, type TraceError } from "../domain/trace/trace-error.js";
import { TraceFlag } from "../domain/trace/traceparent.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { fromTraceparent, newSpanId, newTraceId, spanRef } from "./request-ids.js";

const { SAMPLED, RANDOM_TRACE_ID } = TraceFlag;

export function startTraceCommand(r: StartTraceRequest): TraceCommand {
  const traceId = r.traceId.length > 0 ? bytesToHex(r.traceId) : newTraceId(r.requestId);
  // Random when the server picked it (no id, no request_id to derive it from), or when the
  // caller gave its own and says so; never one derived from request_id.
  const random = r.traceId.length > 0 ? r.randomTraceId : r.requestId === "";
  return {
    type: "StartSpan",
    traceId,
    spanId: r.spanId.length > 0 ? bytesToHex(r.spanId) : newSpanId(traceId, r.requestId),
    parentSpanId: "",
    parentIsRemote: false,
    name: r.name,
    kind: r.kind,
    serviceName: r.serviceName,
    startTime: r.startTimeUnixNano,
    attributes: r.attributes,
    links: r.links,
    resourceAttributes: r.resourceAttributes,
    tracestate: r.tracestate,
    flags: random ? SAMPLED | RANDOM_TRACE_ID : SAMPLED,
    scopeName: r.scopeName,
    ...(r.scopeVersion !== "" ? { scopeVersion: r.scopeVersion } : {}),
    ...derivedFrom(r),
  };
}

/** The request_id the span id comes from, when the client gave one and no span id. */
function derivedFrom(r: { readonly spanId: Uint8Array; readonly requestId: string }): { requestId?: string } {
  return r.spanId.length === 0 && r.requestId !== "" ? { requestId: r.requestId } : {};
}

export function startSpanCommand(r: StartSpanRequest): TraceCommand | TraceError {
  let traceId = bytesToHex(r.traceId);
  let parentSpanId = bytesToHex(r.parentSpanId);
  let parentIsRemote = r.parentIsRemote;
  // Without a traceparent the span takes its local parent's flags (decided with the trace's
  // state); random_trace_id counts only without one (a root, a remote parent named by id).
  let flags: number | undefined;
  if (r.traceparent !== "") {
    const parent = fromTraceparent(r.traceparent, traceId, { field: "parent_span_id", hex: parentSpanId });
    if (isTraceError(parent)) return parent;
    traceId = parent.traceId;
    parentSpanId = parent.spanId;
    // A traceparent may come from any system; the domain records the parent as
    // local when it is in the trace.
    parentIsRemote = true;
    // The flags Level 2 defines; the reserved ones are not carried on (nor stored and exported).
    flags = parent.flags & (SAMPLED | RANDOM_TRACE_ID);
  }
  if (traceId === "") return traceError("invalid_argument", "INVALID_TRACE_ID", "trace_id or traceparent is required; use StartTrace to begin a new trace");
  return {
    type: "StartSpan",
    traceId,
    spanId: r.spanId.length > 0 ? bytesToHex(r.spanId) : newSpanId(traceId, r.requestId),
    parentSpanId,
    parentIsRemote,
    name: r.name,
    kind: r.kind,
    serviceName: r.serviceName,
    startTime: r.startTimeUnixNano,
    attributes: r.attributes,
    links: r.links,
    resourceAttributes: r.resourceAttributes,
    tracestate: r.tracestate,
    flags,
    ...(flags === undefined && r.randomTraceId ? { randomTraceId: true } : {}),
    scopeName: r.scopeName,
    ...(r.scopeVersion !== "" ? { scopeVersion: r.scopeVersion } : {}),
    ...derivedFrom(r),
  };
}

export function endSpanCommand(r: EndSpanRequest): TraceCommand | TraceError {
  const ref = spanRef(r);
  if (isTraceError(ref)) return ref;
  return {
    type: "EndSpan",
    traceId: ref.traceId,
    spanId: ref.spanId,
    endTime: r.endTimeUnixNano,
    statusCode: r.status?.code ?? 0,
    statusMessage: r.status?.message ?? "",
    endReason: r.endReason,
    attributes: r.attributes,
    name: r.name,
  };
}

export function recordErrorCommand(r: RecordErrorRequest): TraceCommand | TraceError {
  const ref = spanRef(r);
  if (isTraceError(ref)) return ref;
  return {
    type: "RecordError",
    traceId: ref.traceId,
    spanId: ref.spanId,
    errorId: r.errorId,
    time: r.timeUnixNano,
    errorType: r.errorType,
    message: r.message,
    stacktrace: r.stacktrace,
    escaped: r.escaped,
    attributes: r.attributes,
  };
}

export function addSpanEventCommand(r: AddSpanEventRequest): TraceCommand | TraceError {
  const ref = spanRef(r);
  if (isTraceError(ref)) return ref;
  return { type: "AddSpanEvent", traceId: ref.traceId, spanId: ref.spanId, eventId: r.eventId, time: r.timeUnixNano, name: r.name, attributes: r.attributes };
}

export function setSpanAttributesCommand(r: SetSpanAttributesRequest): TraceCommand | TraceError {
  const ref = spanRef(r);
  if (isTraceError(ref)) return ref;
  return { type: "SetSpanAttributes", traceId: ref.traceId, spanId: ref.spanId, updateId: r.updateId, attributes: r.attributes };
}

/** One command of a batch. */
export function batchCommand(c: TracingCommand): TraceCommand | TraceError {
  switch (c.command.case) {
    case "startTrace":
      return startTraceCommand(c.command.value);
    case "startSpan":
      return startSpanCommand(c.command.value);
    case "endSpan":
      return endSpanCommand(c.command.value);
    case "recordError":
      return recordErrorCommand(c.command.value);
    case "addSpanEvent":
      return addSpanEventCommand(c.command.value);
    case "setSpanAttributes":
      return setSpanAttributesCommand(c.command.value);
    case undefined:
      return traceError("invalid_argument", "MISSING_COMMAND", "a batch entry must set one command");
  }
}
