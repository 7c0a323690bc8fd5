// The OTLP trace contracts (opentelemetry.proto.*), a separate entry point
// because their names (AnyValue, KeyValue, Span, Status) collide with
// traceledger.v1's. Import from "@traceledger/proto/otlp".

export type {
  AnyValue as OtlpAnyValue,
  ArrayValue as OtlpArrayValue,
  EntityRef as OtlpEntityRef,
  InstrumentationScope,
  KeyValue as OtlpKeyValue,
  KeyValueList as OtlpKeyValueList,
} from "./gen/opentelemetry/proto/common/v1/common_pb.js";
export {
  AnyValueSchema as OtlpAnyValueSchema,
  ArrayValueSchema as OtlpArrayValueSchema,
  EntityRefSchema as OtlpEntityRefSchema,
  InstrumentationScopeSchema,
  KeyValueListSchema as OtlpKeyValueListSchema,
  KeyValueSchema as OtlpKeyValueSchema,
  file_opentelemetry_proto_common_v1_common,
} from "./gen/opentelemetry/proto/common/v1/common_pb.js";

export type { Resource as OtlpResource } from "./gen/opentelemetry/proto/resource/v1/resource_pb.js";
export { ResourceSchema as OtlpResourceSchema, file_opentelemetry_proto_resource_v1_resource } from "./gen/opentelemetry/proto/resource/v1/resource_pb.js";

export type {
  ResourceSpans,
  ScopeSpans,
  Span as OtlpSpan,
  Span_Event as OtlpSpanEvent,
  Span_Link as OtlpSpanLink,
  Status as OtlpStatus,
  TracesData,
} from "./gen/opentelemetry/proto/trace/v1/trace_pb.js";
export {
  ResourceSpansSchema,
  ScopeSpansSchema,
  SpanFlags as OtlpSpanFlags,
  SpanFlagsSchema as OtlpSpanFlagsSchema,
  SpanSchema as OtlpSpanSchema,
  Span_EventSchema as OtlpSpanEventSchema,
  Span_LinkSchema as OtlpSpanLinkSchema,
  Span_SpanKind as OtlpSpanKind,
  Span_SpanKindSchema as OtlpSpanKindSchema,
  StatusSchema as OtlpStatusSchema,
  Status_StatusCode as OtlpStatusCode,
  Status_StatusCodeSchema as OtlpStatusCodeSchema,
  TracesDataSchema,
  file_opentelemetry_proto_trace_v1_trace,
} from "./gen/opentelemetry/proto/trace/v1/trace_pb.js";

export type {
  ExportTracePartialSuccess,
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
} from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
export {
  ExportTracePartialSuccessSchema,
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  TraceService as OtlpTraceService,
  file_opentelemetry_proto_collector_trace_v1_trace_service,
} from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
