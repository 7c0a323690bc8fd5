// SpanContext: what identifies a span to other processes (W3C trace context),
// independent of whether this process records it.

import type { TraceState } from "./trace-state.js";

export interface SpanContext {
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex characters, not all zero. */
  readonly spanId: string;
  /** The W3C trace-flags byte; bit 0 is `sampled`, bit 1 (Level 2) `random trace-id`. */
  readonly traceFlags: number;
  /** The W3C tracestate carried with the span, if any. */
  readonly traceState?: TraceState;
  /** True when the context came from another process (extracted from a carrier). */
  readonly isRemote?: boolean;
}

/** The W3C trace-flags bits this SDK understands. Other bits are reserved and sent as zero. */
export const TraceFlags = {
  NONE: 0x00,
  SAMPLED: 0x01,
  /**
   * Trace Context Level 2: at least the right-most 7 bytes of the trace id were picked at
   * random (the SDK's own ids are, from crypto). The same for every span of a trace.
   */
  RANDOM_TRACE_ID: 0x02,
} as const;

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);

export function isValidTraceId(traceId: string): boolean {
  return TRACE_ID.test(traceId) && traceId !== ZERO_TRACE_ID;
}

export function isValidSpanId(spanId: string): boolean {
  return SPAN_ID.test(spanId) && spanId !== ZERO_SPAN_ID;
}

export function isValidSpanContext(context: SpanContext | undefined): context is SpanContext {
  return context !== undefined && isValidTraceId(context.traceId) && isValidSpanId(context.spanId);
}

export function isSampled(context: SpanContext): boolean {
  return (context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}
