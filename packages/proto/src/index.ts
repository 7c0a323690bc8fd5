// The public API of @traceledger/proto, curated by hand: every message type with its
// schema, every enum, the file descriptors and TracingService. Nothing from gen/ leaks
// in by accident; add a name here when a proto adds one.

export type {
  AnyValue,
  ArrayValue,
  KeyValue,
  KeyValueList,
} from "./gen/traceledger/v1/attributes_pb.js";
export {
  AnyValueSchema,
  ArrayValueSchema,
  KeyValueListSchema,
  KeyValueSchema,
  file_traceledger_v1_attributes,
} from "./gen/traceledger/v1/attributes_pb.js";

export type {
  SpanLink,
  Status,
} from "./gen/traceledger/v1/span_types_pb.js";
export {
  SpanEndReason,
  SpanEndReasonSchema,
  SpanKind,
  SpanKindSchema,
  SpanLinkSchema,
  StatusCode,
  StatusCodeSchema,
  StatusSchema,
  file_traceledger_v1_span_types,
} from "./gen/traceledger/v1/span_types_pb.js";

export type {
  EventEnvelope,
  SpanAttributeUpdated,
  SpanEnded,
  SpanErrorOccurred,
  SpanEventRecorded,
  SpanOrphaned,
  SpanStarted,
  TraceCompleted,
  TraceEvent,
  TraceStarted,
} from "./gen/traceledger/v1/trace_events_pb.js";
export {
  EventEnvelopeSchema,
  OrphanReason,
  OrphanReasonSchema,
  SpanAttributeUpdatedSchema,
  SpanEndedSchema,
  SpanErrorOccurredSchema,
  SpanEventRecordedSchema,
  SpanOrphanedSchema,
  SpanStartedSchema,
  TraceCompletedSchema,
  TraceCompletionReason,
  TraceCompletionReasonSchema,
  TraceEventSchema,
  TraceOrigin,
  TraceOriginSchema,
  TraceStartedSchema,
  file_traceledger_v1_trace_events,
} from "./gen/traceledger/v1/trace_events_pb.js";

export type {
  Span,
  SpanError,
  SpanEvent,
  Trace,
  TraceSummary,
} from "./gen/traceledger/v1/trace_views_pb.js";
export {
  SpanErrorSchema,
  SpanEventSchema,
  SpanSchema,
  SpanState,
  SpanStateSchema,
  TraceSchema,
  TraceState,
  TraceStateSchema,
  TraceSummarySchema,
  file_traceledger_v1_trace_views,
} from "./gen/traceledger/v1/trace_views_pb.js";

export type {
  AddSpanEventRequest,
  AddSpanEventResponse,
  CommandError,
  CommandResult,
  EndSpanRequest,
  EndSpanResponse,
  GetTraceEventsRequest,
  GetTraceEventsResponse,
  GetTraceRequest,
  GetTraceResponse,
  IngestBatchRequest,
  IngestBatchResponse,
  ListTracesRequest,
  ListTracesResponse,
  RecordErrorRequest,
  RecordErrorResponse,
  SetSpanAttributesRequest,
  SetSpanAttributesResponse,
  StartSpanRequest,
  StartSpanResponse,
  StartTraceRequest,
  StartTraceResponse,
  TracingCommand,
  WatchTraceRequest,
  WatchTraceResponse,
} from "./gen/traceledger/v1/tracing_service_pb.js";
export {
  AddSpanEventRequestSchema,
  AddSpanEventResponseSchema,
  CommandErrorSchema,
  CommandResultSchema,
  EndSpanRequestSchema,
  EndSpanResponseSchema,
  GetTraceEventsRequestSchema,
  GetTraceEventsResponseSchema,
  GetTraceRequestSchema,
  GetTraceResponseSchema,
  IngestBatchRequestSchema,
  IngestBatchResponseSchema,
  ListTracesRequestSchema,
  ListTracesResponseSchema,
  RecordErrorRequestSchema,
  RecordErrorResponseSchema,
  SetSpanAttributesRequestSchema,
  SetSpanAttributesResponseSchema,
  StartSpanRequestSchema,
  StartSpanResponseSchema,
  StartTraceRequestSchema,
  StartTraceResponseSchema,
  TracingCommandSchema,
  TracingService,
  WatchTraceRequestSchema,
  WatchTraceResponseSchema,
  file_traceledger_v1_tracing_service,
} from "./gen/traceledger/v1/tracing_service_pb.js";
