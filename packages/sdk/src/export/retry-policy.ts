// Which failures are worth another try, and how long to wait before it:
// exponential backoff with jitter, so that many clients recovering from the same
// outage do not retry in lock-step. Every command carries client-chosen ids, so
// a retry of a command the server did apply is recognised and not applied twice.

import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";

export interface RetryPolicy {
  /**
   * Tries in all, the first included, for failures that could be caused by what
   * is sent (load shedding, a command rejected with a retryable code). An outage (see callFailureKind) is retried until it ends.
   */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/**
 * How a failed call is handled:
 * - "outage": the server cannot be reached, says it is unavailable, the
 *   connection broke under the call (a server that crashes or is killed cuts its
 *   HTTP/2 streams with CANCEL, which connect reports as CANCELED), or it let the
 *   deadline pass without answering (DEADLINE_EXCEEDED: a server that hangs, or
 *   whose database does; a batch is at most 1 MiB of idempotent commands, which
 *   a working server stores in milliseconds, so the batch itself is not the
 *   likely cause). Nothing can be sent until it is back, so retrying the same
 *   batch holds up nothing else: retried without limit (the bounded queue drops
 *   new spans meanwhile).
 * - "transient": RESOURCE_EXHAUSTED (load shedding), which the batch itself may
 *   provoke: retried at most maxAttempts times, so one batch cannot hold up the
 *   queue for ever.
 * - "tooLarge": RESOURCE_EXHAUSTED because the request is over the server's
 *   message limit. The same bytes would be refused again: final.
 * - "final": anything else a retry cannot fix.
 */
export type CallFailureKind = "outage" | "transient" | "tooLarge" | "final";

/** Per-command failures that are transient; ABORTED is the server's "conflict, try again". */
const RETRYABLE_COMMAND_CODES: ReadonlySet<number> = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted]);
/**
 * Node's errors for a connection that could not be made or was lost, over
 * HTTP/1.1 (the connect transport) or HTTP/2 (gRPC). connect maps some of them to
 * codes that do not say so (ECONNRESET becomes ABORTED, a stream reset by the
 * peer INTERNAL), so the error's cause chain is read as well.
 */
const CONNECTION_ERRORS: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  // HTTP/2: a stream reset by the peer, a session that failed, was closed (GOAWAY)
  // or destroyed under the call, a stream or ping cancelled with its session.
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_PING_CANCEL",
]);
/**
 * How grpc-js ("Received message larger than max (5000000 vs. 4194304)") and
 * connect ("message size 5000000 is larger than configured readMaxBytes
 * 4194304") word a message over the limit.
 */
const MESSAGE_TOO_LARGE = /larger than|too large/i;

/**
 * `signal` is the one the call was made with: a CANCELED while it has not been
 * aborted was not asked for by the caller (shutdown, or a deadline it set), so it
 * is the connection going away under the call, an outage. connect reports its
 * own deadline as DEADLINE_EXCEEDED, not CANCELED.
 */
export function callFailureKind(error: unknown, signal: AbortSignal): CallFailureKind {
  const e = ConnectError.from(error);
  if (e.code === Code.Unavailable || e.code === Code.DeadlineExceeded || isConnectionError(error)) return "outage";
  if (e.code === Code.Canceled && !signal.aborted) return "outage";
  if (e.code === Code.ResourceExhausted && MESSAGE_TOO_LARGE.test(e.rawMessage)) return "tooLarge";
  // Besides an outage, only load shedding is transient.
  return e.code === Code.ResourceExhausted ? "transient" : "final";
}

/**
 * When the server refused an IngestBatch call for carrying more commands than
 * it takes (TRACELEDGER_MAX_BATCH_COMMANDS: INVALID_ARGUMENT with ErrorInfo
 * reason BATCH_TOO_LARGE, nothing applied): the most it takes, from the
 * ErrorInfo's `max_commands`, or 0 when it does not say. Undefined for any other
 * failure. The same commands in smaller batches would be taken.
 */
export function batchCommandLimitOf(error: unknown): number | undefined {
  const e = ConnectError.from(error);
  if (e.code !== Code.InvalidArgument) return undefined;
  const info = e.findDetails(ErrorInfoSchema).find((i) => i.reason === "BATCH_TOO_LARGE" && i.domain === "traceledger.dev");
  if (info === undefined) return undefined;
  const limit = Number(info.metadata.max_commands);
  return Number.isSafeInteger(limit) && limit > 0 ? limit : 0;
}

export function isRetryableCommandCode(code: number): boolean {
  return RETRYABLE_COMMAND_CODES.has(code);
}

function isConnectionError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; typeof e === "object" && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_ERRORS.has(code)) return true;
  }
  return false;
}

/** The wait before retry number `retry` (1 for the first retry): between half and all of the capped exponential delay. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
