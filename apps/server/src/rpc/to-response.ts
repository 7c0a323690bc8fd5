// Command outcomes -> wire responses of the unary calls. IngestBatch's response
// is written by hand (ingest/write-ingest-batch-response.ts), held by its spec to
// the messages testing/batch-result.ts builds from these.

import { create } from "@bufbuild/protobuf";
import {
  AddSpanEventResponseSchema,
  EndSpanResponseSchema,
  RecordErrorResponseSchema,
  SetSpanAttributesResponseSchema,
  StartSpanResponseSchema,
  StartTraceResponseSchema,
  type AddSpanEventResponse,
  type EndSpanResponse,
  type RecordErrorResponse,
  type SetSpanAttributesResponse,
  type StartSpanResponse,
  type StartTraceResponse,
} from "@traceledger/proto";
import type { CommandOutcome } from "../domain/trace/trace-decide.js";
import { formatTraceparent } from "../domain/trace/traceparent.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";

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
