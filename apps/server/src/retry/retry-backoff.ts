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
