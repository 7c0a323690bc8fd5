// Which failures are worth another try, and how long to wait before it:
// exponential backoff with jitter, so that many clients recovering from the same
// outage do not retry in lock-step. Every command carries client-chosen ids, so
// a retry of a command the server did apply is recognised and not applied twice.

import { Code, ConnectError } from "@connectrpc/connect";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** Whole-call failures that are transient: the server is away, slow, or shedding load. */
const RETRYABLE_CALL_CODES: ReadonlySet<number> = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted]);
/** Per-command failures that are transient; ABORTED is the server's "conflict, try again". */
const RETRYABLE_COMMAND_CODES: ReadonlySet<number> = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted]);

export function callErrorCode(error: unknown): Code {
  return ConnectError.from(error).code;
}

export function isRetryableCallCode(code: number): boolean {
  return RETRYABLE_CALL_CODES.has(code);
}

export function isRetryableCommandCode(code: number): boolean {
  return RETRYABLE_COMMAND_CODES.has(code);
}

/** The wait before retry number `retry` (1 for the first retry): between half and all of the capped exponential delay. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
