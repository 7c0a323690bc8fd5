// The trace_summaries row of a trace whose spans are all in one slice (its
// first event is there: see span-index-delta.ts), computed from the slice
// instead of read back from span_index: the figures the projector's aggregate
// over span_index gives for the same rows. Most traces of an ingest stream
// begin and end within a few slices, so this spares PostgreSQL the aggregate
// (a sort per trace) for every trace the first time it is listed.

import type { SpanDelta, TraceDelta } from "./span-index-delta.js";

const RUNNING = 1;
const OPEN = 1;
const COMPLETED = 2;

export interface TraceSummaryRow {
  readonly traceId: string;
  /** traceledger.v1.TraceState: 1 open, 2 completed. */
  readonly state: number;
  readonly startTime: bigint;
  readonly endTime: bigint;
  readonly rootName: string;
  readonly rootServiceName: string;
  readonly spanCount: number;
  readonly errorCount: number;
  readonly runningSpanCount: number;
  /** Distinct, in byte order (the aggregate sorts them with collate "C"). */
  readonly serviceNames: string[];
}

/** Undefined when the trace has no span yet (the aggregate gives no row then either). */
export function newTraceSummary(traceId: string, trace: TraceDelta): TraceSummaryRow | undefined {
  const spans = trace.spans;
  if (spans.length === 0) return undefined;
  let root: SpanDelta = spans[0]!;
  let startTime = root.startTime;
  let endTime = root.endTime;
  let errorCount = 0;
  let runningSpanCount = 0;
  const serviceNames: string[] = [];
  for (const span of spans) {
    if (span.startTime < startTime) startTime = span.startTime;
    if (span.endTime > endTime) endTime = span.endTime;
    if (span.hasError) errorCount++;
    if (span.state === RUNNING) runningSpanCount++;
    if (!serviceNames.includes(span.serviceName)) serviceNames.push(span.serviceName);
    // The root span, else the earliest: parentless first, then by start time; the first of equals.
    if (span !== root && rootOrder(span, root) < 0) root = span;
  }
  if (serviceNames.length > 1) serviceNames.sort(byteOrder);
  return {
    traceId,
    state: trace.completed ? COMPLETED : OPEN,
    startTime,
    endTime,
    rootName: root.name,
    rootServiceName: root.serviceName,
    spanCount: spans.length,
    errorCount,
    runningSpanCount,
    serviceNames,
  };
}

function rootOrder(a: SpanDelta, b: SpanDelta): number {
  const aHasParent = a.parentSpanId !== "";
  const bHasParent = b.parentSpanId !== "";
  if (aHasParent !== bHasParent) return aHasParent ? 1 : -1;
  if (a.startTime !== b.startTime) return a.startTime < b.startTime ? -1 : 1;
  // Equal starts (millisecond clocks): the lower span id, as the aggregate over span_index and GetTrace pick.
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

/** UTF-8 byte order, as collate "C" sorts (JavaScript's < compares UTF-16 code units). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
