// How long a webhook delivery waits before its next attempt: what the receiver
// asked for in Retry-After, else exponential backoff with full jitter (a
// random delay up to the exponential bound, so many senders retrying the same
// outage do not arrive in waves).

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
  const asked = retryAfter === null ? undefined : retryAfterMs(retryAfter, nowMs);
  if (asked !== undefined) return Math.min(asked, policy.maxMs);
  const bound = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.floor(random * bound);
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP-date (RFC 9110 10.2.3); undefined when unreadable. */
export function retryAfterMs(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its day and month ("Wed, 25 Nov 2026 12:00:07 GMT"); Date.parse alone would take "-1" as a year.
  if (!/^[A-Za-z]{3},/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Status codes worth another attempt: the receiver may recover. Other 4xx answers will not change. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
