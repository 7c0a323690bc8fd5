// Where a tracer's lifecycle commands go. One implementation per file:
// BatchingSink (queued, shipped in batches with retries), NoopSink (tracing
// disabled). A sink never throws into the application and never blocks it.

import type { SpanCommand } from "../commands/span-command.js";

export interface CommandSink {
  /** Queues a command. Never throws; a command that cannot be queued is dropped and counted. */
  submit(command: SpanCommand): void;
  /** Ships what is queued now; resolves when it is acknowledged, failed, or `timeoutMs` passed. Never rejects. */
  forceFlush(timeoutMs?: number): Promise<void>;
  /** Ships what is queued and stops accepting commands. Never rejects. */
  shutdown(timeoutMs?: number): Promise<void>;
  stats(): TracingStats;
}

/** Counters of a sink since it was created. Commands, not spans: a span is at least a start and an end. */
export interface TracingStats {
  /** Commands waiting in the queue. */
  readonly queued: number;
  /** Commands in the batch being sent. */
  readonly inFlight: number;
  /** Commands the server acknowledged. */
  readonly sent: number;
  /** Commands never sent: the queue was full, a command was larger than a batch may be, or the sink had shut down (or ran out of time doing so). */
  readonly dropped: number;
  /** Commands the server rejected, or that still failed after every retry. */
  readonly failed: number;
  /** Commands sent again after a retryable failure (each resend counts). */
  readonly retried: number;
  /** Calls made to the server. */
  readonly rpcs: number;
}

export const EMPTY_STATS: TracingStats = { queued: 0, inFlight: 0, sent: 0, dropped: 0, failed: 0, retried: 0, rpcs: 0 };
