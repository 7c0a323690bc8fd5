// Exponential backoff with full jitter (a uniformly random wait between zero
// and the exponential ceiling): spreads the retries of many senders after a
// shared outage, as the OTLP specification's exporters do.

export interface BackoffPolicy {
  /** The ceiling of the first wait. */
  readonly initialMs: number;
  /** The ceiling never grows past this. */
  readonly maxMs: number;
}

/** The wait before retry number `attempt` (0 for the first retry); `random` returns [0, 1). */
export function fullJitterBackoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * ceiling);
}

/**
 * The wait a receiver asked for (Retry-After, RetryInfo), capped at `capMs` and never shorter
 * than the policy's first ceiling: one that keeps asking for 0 must not get a tight loop.
 */
export function requestedWaitMs(askedMs: number, policy: BackoffPolicy, capMs: number): number {
  return Math.max(policy.initialMs, Math.min(askedMs, capMs));
}
