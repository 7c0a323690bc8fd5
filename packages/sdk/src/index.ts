// The public API of @traceledger/sdk, curated by hand. Everything else is internal.

// The client
export { createTracingClient } from "./client/tracing-client.js";
export type { TracingClient, TracingClientOptions, TransportKind } from "./client/tracing-client.js";

// Tracing
export { createTracer } from "./trace/create-tracer.js";
export type { Tracer } from "./trace/tracer.js";
export type {
  EndSpanOptions,
  ErrorContext,
  ParentInput,
  Span,
  SpanKind,
  SpanLink,
  SpanStatus,
  StartSpanOptions,
} from "./trace/span.js";
export type { AttributeValue, Attributes } from "./commands/attributes.js";
export type { TimeInput } from "./trace/clock.js";
export type { BatchSettings, ExportMode, ExportOptions, TracerOptions } from "./config/tracer-config.js";
export { TracingConfigError } from "./config/tracing-config-error.js";
export type { TracingStats } from "./export/command-sink.js";

// The active context
export { getActiveBaggage, getActiveSpan, withBaggage, withPropagatedContext } from "./context/active-context.js";

// W3C Trace Context and Baggage
export { formatTraceparent, parseTraceparent } from "./w3c/traceparent.js";
export type { Traceparent } from "./w3c/traceparent.js";
export { TraceState, TRACESTATE_MAX_LENGTH, TRACESTATE_MAX_MEMBERS } from "./w3c/trace-state.js";
export { Baggage, BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS } from "./w3c/baggage.js";
export type { BaggageEntry, BaggageProperty } from "./w3c/baggage.js";
export { TraceFlags, isSampled, isValidSpanContext } from "./w3c/span-context.js";
export type { SpanContext } from "./w3c/span-context.js";
export type { ParseResult } from "./w3c/parse-result.js";
export { extractContext, injectContext } from "./propagation/w3c-propagator.js";
export type { InjectOptions } from "./propagation/w3c-propagator.js";
export type { PropagatedContext } from "./propagation/propagated-context.js";
export type { Carrier } from "./propagation/carrier.js";

// Sampling
export { traceIdRatioSampler } from "./sampling/trace-id-ratio-sampler.js";
export type { Sampler } from "./sampling/trace-id-ratio-sampler.js";

// HTTP servers
export { traceHttpHandler } from "./http/node-http.js";
export type { HttpRequestHandler } from "./http/node-http.js";
export type { HttpServerRequest, HttpServerResponse, ResponseFor } from "./http/server-messages.js";
export { expressTracing } from "./http/express.js";
export type { ExpressTracing } from "./http/express.js";
export { fastifyTracing } from "./http/fastify.js";
export type { FastifyTracingPlugin } from "./http/fastify.js";
export type { HttpTracingOptions } from "./http/http-tracing-options.js";

// OpenTelemetry
export { TraceledgerSpanProcessor } from "./otel/traceledger-span-processor.js";
export type { TraceledgerSpanProcessorOptions } from "./otel/traceledger-span-processor.js";
