// The W3C trace flags a span reported over OTLP is stored with. An OpenTelemetry
// SDK exports only the spans it sampled, but Python's stock exporter (1.x)
// writes only Span.flags bits 8 and 9 (whether the parent is remote), never the
// trace flags, so its spans would read as unsampled: a GetTrace traceparent
// ending "-00", and a lifecycle span started under one inheriting "not sampled"
// and telling every service downstream to drop its spans. A report that says
// nothing in bits 0-7 is read as sampled; one that sets any trace flag is kept
// as sent, and bits 8 and above always are.

import { OtlpSpanFlags } from "@traceledger/proto/otlp";
import { TraceFlag } from "../domain/trace/traceparent.js";

export function reportedSpanFlags(flags: number): number {
  return (flags & OtlpSpanFlags.TRACE_FLAGS_MASK) === 0 ? (flags | TraceFlag.SAMPLED) >>> 0 : flags;
}
