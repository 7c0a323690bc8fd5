// IngestBatch's CommandResult as protobuf-es messages, built from the unary
// calls' responses (to-response.ts): the reference the hand-written response
// writer (ingest/write-ingest-batch-response.ts) is held to, byte for byte.

import { create } from "@bufbuild/protobuf";
import { CommandResultSchema, type CommandResult as WireCommandResult } from "@traceledger/proto";
import type { CommandResult } from "../../commands/command-result.js";
import { codeNumber } from "../rpc-error.js";
import { addSpanEventResponse, endSpanResponse, recordErrorResponse, setSpanAttributesResponse, startSpanResponse, startTraceResponse } from "../to-response.js";

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
