// How much one span may hold: OpenTelemetry's span limits. Attributes are cut
// and counted (attribute-limits.ts). Events and links are bounded too, because a
// running span grows one call at a time: without a bound, one loop calling
// AddSpanEvent would grow its span until no answer could carry the trace.

import { DEFAULT_ATTRIBUTE_LIMITS, type AttributeLimits } from "./attribute-limits.js";

export interface SpanLimits extends AttributeLimits {
  /**
   * The most events a span holds, and separately the most errors (OTLP exports
   * errors as "exception" events). OTel's default 128 (OTEL_SPAN_EVENT_COUNT_LIMIT).
   */
  readonly eventCountLimit: number;
  /** The most links a span keeps; the rest are dropped and counted. OTel's default 128 (OTEL_SPAN_LINK_COUNT_LIMIT). */
  readonly linkCountLimit: number;
}

export const DEFAULT_SPAN_LIMITS: SpanLimits = { ...DEFAULT_ATTRIBUTE_LIMITS, eventCountLimit: 128, linkCountLimit: 128 };

/**
 * The most errors a span holds: as many as events, and at least one. That a span
 * failed is not a detail a limit may drop: with events limited to 0, an OTLP span
 * whose only sign of failure is an exception event would be stored as if it had
 * not failed, and counted in no error count.
 */
export function errorCountLimit(eventCountLimit: number): number {
  return Math.max(1, eventCountLimit);
}
