// Command outcomes -> wire responses, for unary calls and batch results alike.

import { create } from "@bufbuild/protobuf";
import {
  AddSpanEventResponseSchema,
  CommandResultSchema,
  EndSpanResponseSchema,
  RecordErrorResponseSchema,
  SetSpanAttributesResponseSchema,
  StartSpanResponseSchema,
  StartTraceResponseSchema,
  type AddSpanEventResponse,
  type CommandResult as WireCommandResult,
  type EndSpanResponse,
  type RecordErrorResponse,
  type SetSpanAttributesResponse,
  type StartSpanResponse,
  type StartTraceResponse,
} from "@traceledger/proto";
import type { CommandResult } from "../commands/command-result.js";
import type { CommandOutcome } from "../domain/trace/trace-decide.js";
import { formatTraceparent } from "../domain/trace/traceparent.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import { codeNumber } from "./rpc-error.js";

type Outcome<T extends CommandOutcome["type"]> = Extract<CommandOutcome, { type: T }>;

export function startTraceResponse(traceId: string, o: Outcome<"SpanStarted">): StartTraceResponse {
  return create(StartTraceResponseSchema, {
    traceId: hexToBytes(traceId),
    spanId: hexToBytes(o.spanId),
    traceparent: formatTraceparent(traceId, o.spanId, o.flags),
    traceVersion: BigInt(o.version),
    limitedAttributesCount: o.limited,
  });
}

export function startSpanResponse(traceId: string, o: Outcome<"SpanStarted">): StartSpanResponse {
  return create(StartSpanResponseSchema, {
    traceId: hexToBytes(traceId),
    spanId: hexToBytes(o.spanId),
    traceparent: formatTraceparent(traceId, o.spanId, o.flags),
    traceVersion: BigInt(o.version),
    traceStarted: o.traceStarted,
    limitedAttributesCount: o.limited,
  });
}

export function endSpanResponse(o: Outcome<"SpanEnded">): EndSpanResponse {
  return create(EndSpanResponseSchema, { traceVersion: BigInt(o.version), durationNano: o.durationNano, traceCompleted: o.traceCompleted });
}

export function recordErrorResponse(o: Outcome<"ErrorRecorded">): RecordErrorResponse {
  return create(RecordErrorResponseSchema, { errorId: o.errorId, traceVersion: BigInt(o.version) });
}

export function addSpanEventResponse(o: Outcome<"EventRecorded">): AddSpanEventResponse {
  return create(AddSpanEventResponseSchema, { eventId: o.eventId, traceVersion: BigInt(o.version) });
}

export function setSpanAttributesResponse(o: Outcome<"AttributesSet">): SetSpanAttributesResponse {
  return create(SetSpanAttributesResponseSchema, { updateId: o.updateId, traceVersion: BigInt(o.version), limitedAttributesCount: o.limited });
}

/** One batch result; `startTrace` tells a StartTrace from a StartSpan, which share an outcome. */
export function batchResult(result: CommandResult, startTrace: boolean): WireCommandResult {
  if (!result.ok) {
    const e = result.error;
    return create(CommandResultSchema, {
      result: { case: "error", value: { code: codeNumber(e.kind), reason: e.reason, message: e.message, metadata: { ...e.metadata } } },
    });
  }
  const o = result.outcome;
  switch (o.type) {
    case "SpanStarted":
      return startTrace
        ? create(CommandResultSchema, { result: { case: "startTrace", value: startTraceResponse(result.traceId, o) } })
        : create(CommandResultSchema, { result: { case: "startSpan", value: startSpanResponse(result.traceId, o) } });
    case "SpanEnded":
      return create(CommandResultSchema, { result: { case: "endSpan", value: endSpanResponse(o) } });
    case "ErrorRecorded":
      return create(CommandResultSchema, { result: { case: "recordError", value: recordErrorResponse(o) } });
    case "EventRecorded":
      return create(CommandResultSchema, { result: { case: "addSpanEvent", value: addSpanEventResponse(o) } });
    case "AttributesSet":
      return create(CommandResultSchema, { result: { case: "setSpanAttributes", value: setSpanAttributesResponse(o) } });
    case "SpanClosed":
    case "TraceClosed":
    case "FinishedSpansRecorded":
      throw new Error(`${o.type} is not a batch command`);
  }
}
