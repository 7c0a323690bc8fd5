// The trace-level fields of a view (everything but the spans), from its span
// entries. This mirrors TraceViewBuilder.build() (../projections/trace-view.ts)
// field by field; the snapshot spec checks the two agree at every version.

import { TraceState, type Trace } from "@traceledger/proto";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import type { TraceViewProgress } from "../projections/trace-view.js";
import { spanNames, type SpanEntry } from "./span-entry.js";

const NO_BYTES = new Uint8Array(0);

/**
 * The Trace without spans, as of `at` (running spans are measured to it). `root`
 * is the root span's entry, or the earliest span's when the trace has no root
 * (yet, or here): the one whose names the trace shows.
 */
export function traceHeader(traceId: string, progress: TraceViewProgress, entries: readonly SpanEntry[], root: SpanEntry | undefined, at: bigint): Trace {
  let start = 0n;
  let end = 0n;
  let errors = 0;
  let running = 0;
  for (const entry of entries) {
    if (start === 0n || entry.start < start) start = entry.start;
    if (entry.running) running++;
    else if (entry.end > end) end = entry.end;
    if (entry.failed) errors++;
  }
  const names = root ? spanNames(root) : { name: "", serviceName: "" };
  const coveredUntil = progress.completed || running === 0 ? end : at > end ? at : end;
  return {
    $typeName: "traceledger.v1.Trace",
    traceId: hexToBytes(traceId),
    state: progress.version === 0 ? TraceState.UNSPECIFIED : progress.completed ? TraceState.COMPLETED : TraceState.OPEN,
    version: BigInt(progress.version),
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    durationNano: coveredUntil > start ? coveredUntil - start : 0n,
    rootSpanId: progress.rootSpanId ? hexToBytes(progress.rootSpanId) : NO_BYTES,
    rootName: names.name,
    rootServiceName: names.serviceName,
    spanCount: entries.length,
    errorCount: errors,
    runningSpanCount: running,
    spans: [],
  };
}
