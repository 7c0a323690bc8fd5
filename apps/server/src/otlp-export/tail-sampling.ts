// Which completed traces leave traceledger. Tail sampling, decided once a trace
// is complete (so the whole trace is known): traces with an error or an orphan
// and slow traces always leave; the others leave at a rate, decided by the
// trace id alone, so every replica, every restart and every restated completion
// decides the same, and a head sampler of the same rate agrees.
//
// The rate test is OpenTelemetry's consistent probability sampling: the trace
// id's last 56 bits are its randomness R (W3C Trace Context level 2), and a
// trace is kept at probability p when R >= (1 - p) * 2^56.

import type { TraceCompleted } from "@traceledger/proto";

export interface TailSamplingPolicy {
  /** The share of other traces exported, 0 to 1. */
  readonly rate: number;
  /** Always export traces with an error (status ERROR or a recorded error) or an orphaned span. */
  readonly keepErrors: boolean;
  /** Always export traces at least this long, in milliseconds; 0 turns it off. */
  readonly slowTraceMs: number;
}

export type SamplingDecision = "error" | "slow" | "sampled" | "dropped";

const RANDOMNESS_BITS = 56n;
const RANDOMNESS_SPACE = 1n << RANDOMNESS_BITS;

/** The decision for a trace as one of its completions states it. Keeping is monotone: later completions only add. */
export function tailSamplingDecision(completed: TraceCompleted, policy: TailSamplingPolicy): SamplingDecision {
  if (policy.keepErrors && (completed.errorCount > 0 || completed.orphanedSpanCount > 0)) return "error";
  if (policy.slowTraceMs > 0 && completed.durationNano >= BigInt(policy.slowTraceMs) * 1_000_000n) return "slow";
  return sampledByTraceId(completed.traceId, policy.rate) ? "sampled" : "dropped";
}

/** True when the trace id's randomness falls in the kept share `rate`. */
export function sampledByTraceId(traceId: Uint8Array, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let randomness = 0n;
  for (let i = traceId.length - 7; i < traceId.length; i++) randomness = (randomness << 8n) | BigInt(traceId[i] ?? 0);
  // The rejection threshold with OpenTelemetry's 56-bit precision.
  const threshold = RANDOMNESS_SPACE - BigInt(Math.round(rate * Number(RANDOMNESS_SPACE)));
  return randomness >= threshold;
}
