// How long a webhook delivery waits before its next attempt: what the receiver
// asked for in Retry-After, else exponential backoff with full jitter (a
// random delay up to the exponential bound, so many senders retrying the same
// outage do not arrive in waves). Both rules are the OTLP exporter's: one
// reading of Retry-After (every HTTP-date form) and one backoff for both senders.

import { parseRetryAfter } from "../retry/retry-after.js";
import { fullJitterBackoffMs, requestedWaitMs } from "../retry/retry-backoff.js";

export interface BackoffPolicy {
  /** The bound of the first retry's delay. */
  readonly baseMs: number;
  /** No delay is longer than this, Retry-After included. */
  readonly maxMs: number;
}

/**
 * The delay before attempt `attempt + 1` (attempt counts from 1). `retryAfter`
 * is the header's value if the response had one; `random` is in [0, 1).
 */
export function retryDelayMs(attempt: number, retryAfter: string | null, policy: BackoffPolicy, nowMs: number, random: number): number {
  const asked = parseRetryAfter(retryAfter, nowMs);
  const backoff = { initialMs: policy.baseMs, maxMs: policy.maxMs };
  if (asked !== undefined) return requestedWaitMs(asked, backoff, policy.maxMs);
  return fullJitterBackoffMs(attempt - 1, backoff, () => random);
}

/** Status codes worth another attempt: the receiver may recover. Other 4xx answers will not change. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
