// The default sink: a bounded queue shipped in batches by one sender, so the
// application's thread only appends to an array.
//
// - A batch leaves when the queue holds `maxBatchSize` commands, when
//   `flushIntervalMs` has passed since the first queued command, on flushSoon(),
//   forceFlush() and shutdown(). One batch is in flight at a time, which keeps
//   the commands of a span in order (start before end) across retries (the one
//   exception, urgent starts, is below).
// - A batch never exceeds `maxBatchBytes`; a command larger than that on its own
//   is dropped at once (counted, with a warning) instead of being sent (a start
//   with its span's later commands and its children: command-queue.ts).
// - A server that takes fewer commands per call than `maxBatchSize` refuses the
//   batch whole (INVALID_ARGUMENT, BATCH_TOO_LARGE, nothing applied). Its
//   commands go back to the front of the queue, in their order, and from then on
//   batches carry at most what the server said it takes (half as many, if it did
//   not say), so nothing is lost to a limit a retry of the same bytes would hit.
//   `batchSizeRecheckMs` later, full batches are tried again (the limit may have
//   been a replica's, or raised since): one refusal costs a round trip and
//   nothing else, and the same limit said again is not warned of again.
// - A call that fails because the server cannot be reached, is UNAVAILABLE,
//   went away under the call (its connection or stream cut: CANCELED without the
//   sink having cancelled it), or let its deadline pass without an answer
//   (DEADLINE_EXCEEDED) is retried until the server answers (or shutdown() runs
//   out of time): nothing else could be sent meanwhile, and the queue stays
//   bounded. A call failing with RESOURCE_EXHAUSTED (load shedding) is retried up
//   to `maxAttempts` tries, as the batch itself may be the cause;
//   RESOURCE_EXHAUSTED for a message over the server's limit is final. Retries
//   use exponential backoff with jitter and the same bytes; commands carry
//   client-chosen ids, so the server recognises a retry. Commands the server
//   rejects one by one are counted as failed, unless the code is retryable: then
//   they (and the later commands of the same trace in that batch, which may have
//   failed because of them) go back to the front, up to `maxAttempts` tries. A
//   start refused for good takes its span's later commands and its subtree with it
//   (dropped, as for a start too large to send), since the server has no span.
// - A full queue refuses new spans whole (with their children), but still takes
//   the ends of spans it holds or has sent (command-queue.ts); what it refuses is
//   counted as dropped, with one rate-limited warning; the batch in flight is
//   kept. Nothing here throws into the application, and every promise is
//   handled: a server that is down costs the application nothing but the queue.
// - Starts of spans continuing another process's trace jump the queue, in a
//   call of their own beside the batch in flight, so that a backlog here does
//   not let the caller complete the trace before they land. The later commands
//   of that trace (the span's own, its children's starts) wait until that call
//   has settled.
// - shutdown() ends the spans still open with reason CANCELLED, so that they do
//   not stay running on the server until it closes them as orphans.

import { Code } from "@connectrpc/connect";
import { END_REASON_CANCELLED, type SpanCommand } from "../commands/span-command.js";
import { nowUnixNano } from "../trace/clock.js";
import type { CommandFailure } from "../wire/batch-results.js";
import type { CommandSink, TracingStats } from "./command-sink.js";
import { CommandQueue, oldestStampOf, stampAll, type Refusal } from "./command-queue.js";
import type { CommandTransport, PreparedSend } from "./command-transport.js";
import { RateLimitedWarning } from "./rate-limited-warning.js";
import { backoffMs, batchCommandLimitOf, callFailureKind, isRetryableCommandCode, type RetryPolicy } from "./retry-policy.js";

export interface BatchingOptions extends RetryPolicy {
  /**
   * Most commands waiting before new spans are dropped. Default 10,000. The
   * ends of spans already accepted are still taken, up to twice as many.
   */
  readonly maxQueueSize: number;
  /** Most commands in one call; a full batch ships at once. Default 1,024 (lowered to the server's limit if it takes fewer). */
  readonly maxBatchSize: number;
  /** Most bytes in one call; a command larger on its own is dropped. Default 1 MiB (the server accepts 4 MiB). */
  readonly maxBatchBytes: number;
  /** How long a command may wait for a batch to fill. Default 200 ms. */
  readonly flushIntervalMs: number;
  /** How long shutdown() may take before what is left is dropped. Default 5,000 ms. */
  readonly shutdownTimeoutMs: number;
  /** After the server took fewer commands per call than maxBatchSize, how long until full batches are tried again. Default 60,000 ms. */
  readonly batchSizeRecheckMs: number;
  /** Where warnings go. Default: console.warn. */
  readonly warn: (message: string) => void;
  /** At most one warning of a kind per interval. Default 60,000 ms. */
  readonly warningIntervalMs: number;
}

export const DEFAULT_BATCHING: Omit<BatchingOptions, "warn"> = {
  maxQueueSize: 10_000,
  maxBatchSize: 1024,
  maxBatchBytes: 1024 * 1024,
  flushIntervalMs: 200,
  maxAttempts: 10,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  shutdownTimeoutMs: 5_000,
  batchSizeRecheckMs: 60_000,
  warningIntervalMs: 60_000,
};

/** sendWithRetries' answer when the server took none of the batch as it carries too many commands: send them again, fewer at a time. */
const SEND_FEWER = Symbol("send fewer");

interface Waiter {
  /** Its flush: resolved once no command stamped with it (or an earlier one) is left unsettled. */
  readonly flush: number;
  readonly resolve: () => void;
}

export class BatchingSink implements CommandSink {
  private readonly queue: CommandQueue;
  /** The batches being sent (the main one, an urgent one), until their commands are settled or put back. */
  private readonly inFlightBatches = new Set<readonly SpanCommand[]>();
  /** Traces with a start in flight in an urgent call: nothing else of theirs may leave before it settles (a child's start needs its parent's). */
  private readonly held = new Set<string>();
  private sending = false;
  private again = false;
  private urgentSending = false;
  private urgentScheduled = false;
  private urgentLoop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private soon = false;
  private closed = false;
  private readonly stopping = new AbortController();
  private flushes = 0;
  private waiters: Waiter[] = [];
  private readonly counts = { sent: 0, dropped: 0, failed: 0, retried: 0, rpcs: 0 };
  private readonly dropWarning: RateLimitedWarning;
  private readonly failWarning: RateLimitedWarning;
  private readonly outageWarning: RateLimitedWarning;
  private readonly tooLargeWarning: RateLimitedWarning;
  private readonly batchSizeWarning: RateLimitedWarning;
  /** Most commands in one call: maxBatchSize, or the fewer the server said it takes. */
  private batchSize: number;
  /** When batchSize was last lowered (performance.now()), and to what. */
  private loweredAt = 0;
  private loweredTo: number | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly transport: CommandTransport,
    private readonly options: BatchingOptions,
    private readonly describeTarget = "the traceledger server",
  ) {
    this.dropWarning = new RateLimitedWarning(options.warn, options.warningIntervalMs);
    this.failWarning = new RateLimitedWarning(options.warn, options.warningIntervalMs);
    this.outageWarning = new RateLimitedWarning(options.warn, options.warningIntervalMs);
    this.tooLargeWarning = new RateLimitedWarning(options.warn, options.warningIntervalMs);
    this.batchSizeWarning = new RateLimitedWarning(options.warn, options.warningIntervalMs);
    this.batchSize = options.maxBatchSize;
    this.queue = new CommandQueue(options.maxQueueSize);
    exitFlush.add(this);
  }

  submit(command: SpanCommand): void {
    if (this.closed) {
      this.drop(1, "the tracer has shut down");
      return;
    }
    const refusal = this.queue.offer(command);
    if (refusal !== undefined) {
      this.dropRefused(refusal);
      return;
    }
    if (command.type === "startSpan" && command.parentIsRemote) this.sendUrgentSoon();
    if (this.queue.length >= this.batchSize) this.flushSoon();
    else if (this.timer === undefined && !this.sending) this.armTimer();
  }

  /** Asks for what is queued to be shipped soon rather than at the next interval. */
  flushSoon(): void {
    if (this.sending) {
      this.again = true;
      return;
    }
    if (this.soon) return;
    this.soon = true;
    setImmediate(() => {
      this.soon = false;
      this.startSending();
    });
  }

  forceFlush(timeoutMs: number = this.options.shutdownTimeoutMs): Promise<void> {
    return this.flushWithin(timeoutMs, true);
  }

  /**
   * Resolves when what is queued now has settled, or after `timeoutMs`. With
   * `keepAlive`, the wait keeps the process alive (someone awaits it); the
   * background timers of the sink never do.
   */
  private flushWithin(timeoutMs: number, keepAlive: boolean): Promise<void> {
    const flush = ++this.flushes;
    this.queue.stamp(flush);
    for (const batch of this.inFlightBatches) stampAll(batch, flush);
    if (this.oldestUnsettled() > flush) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timeout = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      }, timeoutMs);
      if (!keepAlive) timeout.unref();
      const waiter: Waiter = {
        flush,
        resolve: () => {
          clearTimeout(timeout);
          resolve();
        },
      };
      this.waiters.push(waiter);
      this.again = true;
      this.startSending();
    });
  }

  shutdown(timeoutMs: number = this.options.shutdownTimeoutMs): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.closed = true;
      exitFlush.delete(this);
      this.cancelOpenSpans();
      const deadline = setTimeout(() => this.stopping.abort(), timeoutMs);
      try {
        await this.flushWithin(timeoutMs, true);
      } finally {
        clearTimeout(deadline);
        this.stopping.abort();
        await this.loop;
        await this.urgentLoop;
        // What is left could not be sent in time.
        const left = this.queue.clear();
        if (left > 0) this.drop(left, "shutdown ran out of time");
        clearTimeout(this.timer);
        this.transport.close();
      }
    })().catch(() => {});
    return this.shutdownPromise;
  }

  stats(): TracingStats {
    let inFlight = 0;
    for (const batch of this.inFlightBatches) inFlight += batch.length;
    return { queued: this.queue.length, inFlight, ...this.counts };
  }

  /**
   * Ends every span still open as CANCELLED, now (or at its start, if that is
   * later): the process is stopping, so the span will not end by itself.
   */
  private cancelOpenSpans(): void {
    const now = nowUnixNano();
    for (const span of this.queue.takeOpenSpans()) {
      const refusal = this.queue.offer({
        type: "endSpan",
        traceId: span.traceId,
        spanId: span.spanId,
        endTimeUnixNano: now > span.startTimeUnixNano ? now : span.startTimeUnixNano,
        statusCode: 0,
        statusMessage: "",
        endReason: END_REASON_CANCELLED,
      });
      if (refusal !== undefined) this.drop(1, refusal.reason);
    }
  }

  /** The lowest flush stamp of a command not yet settled (sent, failed or dropped), or Infinity. */
  private oldestUnsettled(): number {
    let oldest = this.queue.oldestStamp();
    for (const batch of this.inFlightBatches) oldest = Math.min(oldest, oldestStampOf(batch));
    return oldest;
  }

  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startSending();
    }, this.options.flushIntervalMs);
    this.timer.unref();
  }

  private startSending(): void {
    if (this.stopping.signal.aborted) {
      this.wakeWaiters(true);
      return;
    }
    if (this.sending) {
      this.again = true;
      return;
    }
    if (this.queue.length === 0) {
      this.wakeWaiters();
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sending = true;
    this.again = false;
    let broken = false;
    this.loop = this.sendLoop()
      .catch((error: unknown) => {
        broken = true;
        this.failWarning.warn(`traceledger: internal error while sending spans: ${String(error)}`);
      })
      .finally(() => {
        this.sending = false;
        if (this.queue.length === 0) this.wakeWaiters();
        // After an internal error, the next try waits for the timer: starting again at once
        // would spin on the same error without ever yielding to the application.
        else if (!broken && (this.again || this.waiters.length > 0 || this.queue.length >= this.batchSize)) this.startSending();
        else if (!this.stopping.signal.aborted) this.armTimer();
      });
  }

  private async sendLoop(): Promise<void> {
    while (this.queue.length > 0 && !this.stopping.signal.aborted) {
      this.recheckBatchSize();
      const candidates = this.queue.peek(this.batchSize, this.held);
      if (candidates.length === 0) {
        // The next command belongs to a span whose start is in flight in an urgent call.
        if (!this.urgentSending) throw new Error("commands held for an urgent call that is not running");
        await this.urgentLoop;
        continue;
      }
      const taken = this.take(candidates, false);
      if (taken === undefined) continue;
      const requeued = await this.sendBatch(taken.batch, taken.send);
      if (requeued.length > 0) await this.sleep(backoffMs(this.options, Math.max(...requeued.map((c) => c.retries ?? 1))));
      // Between batches, only keep going if there is a full batch or someone waits.
      if (this.queue.length < this.batchSize && !this.again && this.waiters.length === 0) break;
      this.again = false;
    }
  }

  private sendUrgentSoon(): void {
    if (this.urgentSending || this.urgentScheduled) return;
    this.urgentScheduled = true;
    setImmediate(() => {
      this.urgentScheduled = false;
      this.startUrgent();
    });
  }

  private startUrgent(): void {
    if (this.urgentSending || this.stopping.signal.aborted || this.queue.urgentLength === 0) return;
    this.urgentSending = true;
    let broken = false;
    this.urgentLoop = this.sendUrgentLoop()
      .catch((error: unknown) => {
        broken = true; // what is left goes with the main loop's next batch
        this.failWarning.warn(`traceledger: internal error while sending spans: ${String(error)}`);
      })
      .finally(() => {
        this.urgentSending = false;
        if (!broken && this.queue.urgentLength > 0) this.startUrgent();
      });
  }

  /** Ships the urgent starts in calls of their own, whatever the main loop is doing. */
  private async sendUrgentLoop(): Promise<void> {
    while (this.queue.urgentLength > 0 && !this.stopping.signal.aborted) {
      const taken = this.take(this.queue.peekUrgent(this.batchSize), true);
      if (taken === undefined) continue;
      for (const c of taken.batch) this.held.add(c.traceId);
      let requeued: SpanCommand[];
      try {
        requeued = await this.sendBatch(taken.batch, taken.send);
      } finally {
        for (const c of taken.batch) this.held.delete(c.traceId);
      }
      // Starts to retry are back at the front of the queue: the main loop sends them, in order,
      // after the backoff (it may be idle, its timer run out on the commands held meanwhile).
      if (requeued.length > 0) {
        await this.sleep(backoffMs(this.options, Math.max(...requeued.map((c) => c.retries ?? 1))));
        this.flushSoon();
        break;
      }
    }
  }

  /**
   * Encodes what the transport takes of `candidates` (the front of the queue)
   * and removes it from the queue. Undefined when nothing is to be sent: the
   * commands could not be encoded or are too large, and are settled as such.
   */
  private take(candidates: SpanCommand[], alongside: boolean): { batch: SpanCommand[]; send: PreparedSend["send"] } | undefined {
    let prepared: PreparedSend;
    try {
      prepared = this.transport.prepare(candidates, alongside);
    } catch (error) {
      // Commands that cannot be encoded can never be sent: count them and move on.
      this.queue.remove(candidates.length);
      this.queue.forgetStarts(candidates);
      this.fail(candidates.length, `internal error while encoding ${candidates.length} commands: ${describeError(error)}`);
      return undefined;
    }
    const batch = candidates.slice(0, Math.max(1, prepared.count));
    this.queue.remove(batch.length);
    if (prepared.unsendable !== undefined) {
      this.queue.forgetStarts(batch);
      this.drop(batch.length, prepared.unsendable, this.tooLargeWarning);
      // The server would reject the rest of such a span, and its children, for want of its start.
      const withIt = this.queue.dropSpans(batch, "unsendable");
      if (withIt > 0) this.drop(withIt, `the start of their span was dropped (${prepared.unsendable})`, this.tooLargeWarning);
      return undefined;
    }
    return { batch, send: prepared.send };
  }

  /** Sends one batch with its retries and settles it; returns the commands put back to be sent again after a backoff. */
  private async sendBatch(batch: SpanCommand[], send: PreparedSend["send"]): Promise<SpanCommand[]> {
    this.inFlightBatches.add(batch);
    const results = await this.sendWithRetries(batch, send);
    let requeued: SpanCommand[] = [];
    if (results === SEND_FEWER) {
      // Nothing of it was applied: all of it goes back, in order, to leave at once in smaller batches.
      this.queue.putBack(batch);
      this.counts.retried += batch.length;
      this.flushSoon();
    } else if (results !== undefined) {
      requeued = this.settleResults(batch, results);
      this.queue.putBack(requeued);
    }
    this.inFlightBatches.delete(batch);
    this.wakeWaiters();
    return requeued;
  }

  /**
   * The per-command results; undefined when the call failed for good (the batch
   * is then settled); SEND_FEWER when the server refused it as carrying more
   * commands than it takes (batchSize is then lowered).
   */
  private async sendWithRetries(
    batch: SpanCommand[],
    send: (signal: AbortSignal) => Promise<Array<CommandFailure | undefined>>,
  ): Promise<Array<CommandFailure | undefined> | typeof SEND_FEWER | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.counts.rpcs++;
        return await send(this.stopping.signal);
      } catch (error) {
        if (this.stopping.signal.aborted) {
          this.drop(batch.length, "shutdown ran out of time");
          return undefined;
        }
        const limit = batchCommandLimitOf(error);
        if (limit !== undefined && batch.length > 1) {
          this.lowerBatchSize(limit, batch.length);
          return SEND_FEWER;
        }
        const kind = callFailureKind(error, this.stopping.signal);
        if (kind === "tooLarge" || kind === "final" || (kind === "transient" && attempt >= this.options.maxAttempts)) this.queue.forgetStarts(batch);
        if (kind === "tooLarge") {
          this.fail(batch.length, `${this.describeTarget} refused ${batch.length} commands as larger than it accepts (not retried): ${describeError(error)}`);
          return undefined;
        }
        if (kind === "final" || (kind === "transient" && attempt >= this.options.maxAttempts)) {
          this.fail(batch.length, `could not send ${batch.length} commands to ${this.describeTarget} after ${attempt} attempt(s): ${describeError(error)}`);
          return undefined;
        }
        if (kind === "outage") {
          this.outageWarning.warn(`traceledger: cannot reach ${this.describeTarget} (${describeError(error)}); retrying until it is back, the queue holds up to ${this.options.maxQueueSize} commands`);
        }
        this.counts.retried += batch.length;
        await this.sleep(backoffMs(this.options, attempt));
        if (this.stopping.signal.aborted) {
          this.drop(batch.length, "shutdown ran out of time");
          return undefined;
        }
      }
    }
  }

  /** Counts the results; returns the commands to send again. */
  private settleResults(batch: SpanCommand[], results: Array<CommandFailure | undefined>): SpanCommand[] {
    const requeued: SpanCommand[] = [];
    const retryTraces = new Set<string>();
    let sent = 0;
    for (let i = 0; i < batch.length; i++) {
      const command = batch[i]!;
      const failure = i < results.length ? results[i] : { code: 13, reason: "MISSING_RESULT", message: "the server answered fewer results than commands" };
      const retryable = failure !== undefined && (isRetryableCommandCode(failure.code) || retryTraces.has(command.traceId));
      // UNAVAILABLE for a command: the server is up but cannot store (its database is down) or
      // is stopping. That is an outage as much as an unreachable server: retried until it ends.
      const outage = failure !== undefined && failure.code === Code.Unavailable;
      if (outage) this.outageWarning.warn(`traceledger: ${this.describeTarget} cannot store commands for now (${failure.reason || failure.code}); retrying until it can, the queue holds up to ${this.options.maxQueueSize} commands`);
      if (failure === undefined) {
        sent++;
      } else if (retryable && (outage || (command.retries ?? 0) + 1 < this.options.maxAttempts)) {
        command.retries = (command.retries ?? 0) + 1;
        retryTraces.add(command.traceId);
        requeued.push(command);
      } else {
        this.queue.forgetStarts([command]);
        this.fail(1, `${this.describeTarget} rejected a ${command.type} command: ${failure.reason || failure.code} ${failure.message}`.trim());
        // A start refused for good leaves no span: the server would refuse its later commands and its children's
        // too (a job started in a trace already completed). Not ALREADY_EXISTS: a span of that id is stored.
        if (command.type === "startSpan" && failure.code !== Code.AlreadyExists) {
          const withIt = this.queue.dropSpans([command], "refused");
          if (withIt > 0) this.drop(withIt, `the server refused the start of their span (${failure.reason || failure.code})`, this.failWarning);
        }
      }
    }
    this.counts.sent += sent;
    this.counts.retried += requeued.length;
    return requeued;
  }

  /** The server refused `sent` commands in one call, saying it takes at most `limit` (0: it did not say). */
  private lowerBatchSize(limit: number, sent: number): void {
    const size = limit > 0 && limit < sent ? limit : Math.max(1, Math.floor(sent / 2));
    if (size >= this.batchSize) return;
    this.batchSize = size;
    this.loweredAt = performance.now();
    // A recheck that meets the same limit again is no news.
    const again = this.loweredTo === size;
    this.loweredTo = size;
    if (again) return;
    const said = limit > 0 ? `takes at most ${limit} commands per call` : `refused ${sent} commands in one call as too many`;
    this.batchSizeWarning.warn(
      `traceledger: ${this.describeTarget} ${said} (TRACELEDGER_MAX_BATCH_COMMANDS); sending them again, and every batch from now on, ${size} at a time (batch.maxBatchSize is ${this.options.maxBatchSize})`,
    );
  }

  /** Full batches again once batchSizeRecheckMs has passed since the server's limit lowered them. */
  private recheckBatchSize(): void {
    if (this.batchSize < this.options.maxBatchSize && performance.now() - this.loweredAt >= this.options.batchSizeRecheckMs) this.batchSize = this.options.maxBatchSize;
  }

  /** Counts a command the queue refused, under the warning of what dropped its span. */
  private dropRefused(refusal: Refusal): void {
    if (refusal.cause === "unsendable") this.drop(1, refusal.reason, this.tooLargeWarning);
    else if (refusal.cause === "refused") this.drop(1, `${refusal.reason} (refused by ${this.describeTarget})`, this.failWarning);
    else this.drop(1, `${refusal.reason}; is ${this.describeTarget} reachable?`);
  }

  private drop(count: number, why: string, warning = this.dropWarning): void {
    this.counts.dropped += count;
    warning.warn(`traceledger: dropped ${count} span command(s): ${why}`, count);
  }

  private fail(count: number, message: string): void {
    this.counts.failed += count;
    this.failWarning.warn(`traceledger: ${message}`, count);
  }

  private wakeWaiters(all = false): void {
    if (this.waiters.length === 0) return;
    const oldest = all ? Infinity : this.oldestUnsettled();
    const ready = this.waiters.filter((w) => oldest > w.flush);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.resolve();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopping.signal.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.stopping.signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      timer.unref();
      this.stopping.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * The event loop emptied and shutdown() was never called: the process is
   * about to exit, so it gets the shutdown it forgot (open spans ended as
   * CANCELLED, the queue shipped within shutdownTimeoutMs, the client closed).
   * A plain flush would be bounded only by each call's deadline, and retried
   * without end while the server hangs.
   */
  shutdownBeforeExit(): void {
    if (this.queue.length > 0 || this.queue.hasOpenSpans) void this.shutdown();
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sinks with something queued or spans open when the event loop empties are
 * shut down, so a short script or job that never calls shutdown() still ships
 * its spans, leaves none running, and exits in time. One listener for all sinks.
 */
const exitFlush = new (class {
  // Weak references: a tracer dropped without shutdown() must not be kept alive here.
  private readonly sinks = new Set<WeakRef<BatchingSink>>();
  private readonly refs = new WeakMap<BatchingSink, WeakRef<BatchingSink>>();
  private listening = false;
  add(sink: BatchingSink): void {
    const ref = new WeakRef(sink);
    this.refs.set(sink, ref);
    this.sinks.add(ref);
    if (!this.listening) {
      this.listening = true;
      process.on("beforeExit", () => {
        for (const ref of this.sinks) {
          const s = ref.deref();
          if (s === undefined) {
            this.sinks.delete(ref);
            continue;
          }
          s.shutdownBeforeExit();
        }
      });
    }
  }
  delete(sink: BatchingSink): void {
    const ref = this.refs.get(sink);
    if (ref) this.sinks.delete(ref);
  }
})();
