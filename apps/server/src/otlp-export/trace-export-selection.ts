// What leaves when a trace completes. A trace can complete more than once: when
// finished spans arrive late (OTLP), its completion is restated at a later
// version. Each completion sends only what no earlier one sent, worked out from
// the stream itself (no bookkeeping of our own):
// - the sampling decision only ever turns from "drop" to "keep" over a trace's
//   completions (errors, duration and the trace id only grow or stay), so
// - if the previous completion was kept, it (and those before it) sent every
//   span ended by then: send the spans ended since;
// - if it was not, nothing was sent: send every span ended by now.

import type { TraceCompleted } from "@traceledger/proto";
import { tailSamplingDecision, type SamplingDecision, type TailSamplingPolicy } from "./tail-sampling.js";

export interface Completion {
  readonly version: number;
  readonly completed: TraceCompleted;
}

/** A trace read up to a version: its completions and its spans, each with the version that ended it (0 while running). */
interface ReadTrace<S extends { readonly endVersion: number }> {
  readonly completions: readonly Completion[];
  spans(): S[];
}

interface TraceExport<S> {
  readonly decision: SamplingDecision;
  /** The spans to send; empty when the trace is sampled out. */
  readonly spans: S[];
}

/** `fold` holds the trace's events up to and including the completion at `completionVersion`. */
export function selectForExport<S extends { readonly endVersion: number }>(fold: ReadTrace<S>, completionVersion: number, policy: TailSamplingPolicy): TraceExport<S> {
  let current: Completion | undefined;
  let previous: Completion | undefined;
  for (const completion of fold.completions) {
    if (completion.version === completionVersion) current = completion;
    else if (completion.version < completionVersion) previous = completion;
  }
  if (!current) throw new Error(`no completion at version ${completionVersion} in the folded events`);
  const decision = tailSamplingDecision(current.completed, policy);
  if (decision === "dropped") return { decision, spans: [] };
  const sentUpTo = previous && tailSamplingDecision(previous.completed, policy) !== "dropped" ? previous.version : 0;
  const spans = fold.spans().filter((s) => s.endVersion > sentUpTo && s.endVersion <= completionVersion);
  return { decision, spans };
}
