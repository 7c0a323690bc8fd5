// The trace-level fields of a view (everything but the spans), from its span
// entries, through the same traceWithoutSpans() that TraceViewBuilder.build()
// uses (../projections/trace-view.ts); only the gathering over entries is here.

import type { Trace } from "@traceledger/proto";
import { countSpan, traceWithoutSpans, type TraceTotals, type TraceViewProgress } from "../projections/trace-view.js";
import { spanNames, type SpanEntry } from "./span-entry.js";

/**
 * The Trace without spans, as of `at` (running spans are measured to it). `root`
 * is the root span's entry, or the earliest span's when the trace has no root
 * (yet, or here): the one whose names the trace shows.
 */
export function traceHeader(traceId: string, progress: TraceViewProgress, entries: readonly SpanEntry[], root: SpanEntry | undefined, at: bigint): Trace {
  const totals: TraceTotals = { start: 0n, end: 0n, errors: 0, running: 0 };
  for (const entry of entries) countSpan(totals, entry.start, entry.end, entry.running, entry.failed);
  const names = root ? spanNames(root) : { name: "", serviceName: "" };
  return traceWithoutSpans(traceId, progress, totals, entries.length, names, at);
}
