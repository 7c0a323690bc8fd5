// Runs trace commands: load the trace (cache, else fold its events), decide,
// append, and only then answer. Commands from all callers queue here and are
// written in group commits: one appendMany per batch covers every trace in it,
// so throughput is set by PostgreSQL batches rather than per-call commits.
//
// Commands for one trace are serialised: within a batch they are decided in
// order against the evolving state, and a trace with a batch in flight waits
// for it. A version conflict (another process wrote the trace) reloads the
// trace and decides its commands again, a bounded number of times. So does a
// trace deleted (retention) and begun again, up to the version a state was built
// at: each state carries its last event's position, which the append expects and
// an answer that writes nothing checks (a position is never given twice).
//
// A command that would store an event larger than reads can send (EVENT_TOO_LARGE,
// events/event-size-limit.ts) is refused before its events evolve the state, so the
// commands after it in the batch are decided as if it had not been sent.
//
// The store work of a batch has a deadline (store-deadline.ts): one held by a
// database connection the network lost would otherwise hold its callers, its
// traces and a commit slot until TCP gives up, about 15 minutes.

import type { SpanLimits } from "../domain/trace/span-limits.js";
import type { RejectedSpan } from "../domain/trace/record-finished-spans.js";
import type { TraceCommand } from "../domain/trace/trace-commands.js";
import { traceIdProblem } from "../domain/trace/span-validation.js";
import { decideTrace, type Decision } from "../domain/trace/trace-decide.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { evolveTrace, initialTraceState, type TraceState } from "../domain/trace/trace-state.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import type { AppendError, AppendRequest, AppendResult, EventStore, NewEvent, StoredEvent } from "../event-store/event-store.js";
import { eventTooLarge, maxEventBytes } from "../events/event-size-limit.js";
import { decodeTraceEvent, encodeTraceEvent, occurredAt } from "../events/trace-event-codec.js";
import { traceEventId } from "../events/trace-event-id.js";
import type { CommandError, CommandResult, InfrastructureError } from "./command-result.js";
import { StoreDeadlineExceeded, withinStoreDeadline } from "./store-deadline.js";
import { TraceStateCache } from "./trace-state-cache.js";

export interface TraceCommandBusOptions {
  readonly store: EventStore;
  /** Unix nanoseconds. */
  readonly clock: () => bigint;
  readonly newId: () => string;
  readonly limits: SpanLimits;
  /**
   * TRACELEDGER_MAX_MESSAGE_BYTES (default 4 MiB): a command that would store an event that
   * GetTraceEvents and WatchTrace could not send within it is refused (events/event-size-limit.ts).
   */
  readonly maxMessageBytes?: number;
  /** The most commands one group commit carries. Default 2,000. */
  readonly maxBatchCommands?: number;
  /** Group commits in flight at once. Default 2: one being written while the next is decided. */
  readonly maxInFlightBatches?: number;
  /** Reload-and-decide attempts after a version conflict before answering ABORTED. Default 5. */
  readonly maxConflictRetries?: number;
  /** Trace states kept in memory, of traces not completed. Default 20,000. */
  readonly cacheSize?: number;
  /** Completed traces' states kept in memory (see trace-state-cache.ts). Default 2,000. */
  readonly completedCacheSize?: number;
  /**
   * A cached state whose trace's last event is older than this is read again before a
   * command is decided on it. Set with retention (half its period): a trace idle for
   * the period may be deleted and begun again by another replica up to the very version
   * cached. The last event's position tells such a state anyway (a conflict, then the
   * trace is read and the commands decided again): this saves that round. Default: cached
   * states are kept however idle.
   */
  readonly cacheTrustNs?: bigint;
  /**
   * How long each store operation of a batch (reading its traces, the group commit, a
   * refusal's check) may take; then the batch's commands are answered UNAVAILABLE
   * (STORE_UNAVAILABLE) and onStoreDeadline is called. Default 30,000 ms.
   */
  readonly storeDeadlineMs?: number;
  /**
   * Called when a store operation missed its deadline: what it waits on is most likely a
   * database connection the network lost. The owner drops the store's connections, which
   * also frees whatever else waits on them. Must not throw.
   */
  readonly onStoreDeadline?: () => void;
  /** Called after events are durable, in stream order per trace. */
  readonly onAppended?: (traceId: string, events: readonly AppendedEvent[]) => void;
  /** Told about commits as they happen, for metrics. */
  readonly observer?: TraceCommandBusObserver;
}

/** Called synchronously on the write path: implementations must be cheap and must not throw. */
export interface TraceCommandBusObserver {
  /** One group commit (appendMany) succeeded: its wall time and the events it carried. */
  appended(seconds: number, events: number): void;
  /** A trace's events are durable: the state they led to, and the events as decided (not re-decoded). */
  committed(state: TraceState, events: readonly TraceEventCase[]): void;
}

interface AppendedEvent {
  readonly version: number;
  readonly position: bigint;
  readonly event: NewEvent;
}

interface Pending {
  readonly command: TraceCommand;
  /** Where the answer goes: a whole batch of calls shares one group (and one promise). */
  readonly group: ResultGroup;
  readonly index: number;
  conflicts: number;
}

/** The answers to commands submitted together, resolved once the last is in. */
class ResultGroup {
  readonly results: CommandResult[];
  private left: number;

  constructor(
    size: number,
    private readonly done: (results: CommandResult[]) => void,
  ) {
    this.results = new Array<CommandResult>(size);
    this.left = size;
  }

  /** The first result given for a command is its answer; a later one (after a failure further on in its batch) is ignored. */
  settle(index: number, result: CommandResult): void {
    if (this.results[index] !== undefined) return;
    this.results[index] = result;
    if (--this.left === 0) this.done(this.results);
  }
}

interface TraceWork {
  readonly traceId: string;
  readonly entries: Pending[];
  state: TraceState;
  expectedVersion: number;
  /** The position of the last event of the state decided on; undefined for a trace with no events. */
  readonly lastPosition: bigint | undefined;
  readonly events: NewEvent[];
  /** The same events before encoding, for the observer. */
  readonly decided: TraceEventCase[];
  /** The answers, as they will be sent once the events are durable. */
  readonly results: CommandResult[];
  /** Deciding threw part way: the state may be half evolved and must not be cached. */
  readonly failed?: boolean;
}

export class TraceCommandBus {
  private readonly queue: Pending[] = [];
  private readonly busy = new Set<string>();
  private readonly cache: TraceStateCache;
  private inFlight = 0;
  private scheduled = false;
  private closed = false;
  private idle: (() => void) | undefined;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly maxConflicts: number;
  private readonly storeDeadlineMs: number;
  private readonly maxEventBytes: number;

  constructor(private readonly options: TraceCommandBusOptions) {
    this.maxEventBytes = maxEventBytes(options.maxMessageBytes);
    this.storeDeadlineMs = options.storeDeadlineMs ?? 30_000;
    this.maxBatch = options.maxBatchCommands ?? 2000;
    this.maxInFlight = options.maxInFlightBatches ?? 2;
    this.maxConflicts = options.maxConflictRetries ?? 5;
    this.cache = new TraceStateCache(options.cacheSize ?? 20_000, options.completedCacheSize ?? 2000);
  }

  submit(command: TraceCommand): Promise<CommandResult> {
    if (this.closed) return Promise.resolve(shuttingDown(command.traceId));
    const refused = refusedBeforeTheStore(command);
    if (refused) return Promise.resolve(refused);
    return new Promise((resolve) => {
      this.queue.push({ command, group: new ResultGroup(1, (results) => resolve(results[0]!)), index: 0, conflicts: 0 });
      this.schedule();
    });
  }

  /**
   * Queues commands in order; commands of one trace are applied in the order
   * given. One promise for them all (a batch call's hundreds of commands).
   */
  submitAll(commands: readonly TraceCommand[]): Promise<CommandResult[]> {
    if (commands.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.resolve(commands.map((c) => shuttingDown(c.traceId)));
    return new Promise((resolve) => {
      const group = new ResultGroup(commands.length, resolve);
      for (let i = 0; i < commands.length; i++) {
        const refused = refusedBeforeTheStore(commands[i]!);
        if (refused) group.settle(i, refused);
        else this.queue.push({ command: commands[i]!, group, index: i, conflicts: 0 });
      }
      this.schedule();
    });
  }

  /** Stops taking commands and waits until everything queued is answered. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      this.idle = resolve;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Coalesce every command submitted in this tick into one batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.pump();
        else if (this.inFlight === 0 && this.idle) this.idle();
      });
    }
  }

  /** Takes queued commands whose trace has no batch in flight, keeping per-trace order. */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    // Compacts the queue in place: a busy ingest queue holds thousands of
    // commands, and copying them out and back (spread) on every pump showed up
    // at ~1 us per command.
    const queue = this.queue;
    let kept = 0;
    let i = 0;
    for (; i < queue.length && batch.length < this.maxBatch; i++) {
      const entry = queue[i]!;
      if (!this.busy.has(entry.command.traceId)) batch.push(entry);
      else queue[kept++] = entry;
    }
    if (kept !== i) for (; i < queue.length; i++) queue[kept++] = queue[i]!;
    else kept = queue.length;
    queue.length = kept;
    for (const entry of batch) this.busy.add(entry.command.traceId);
    return batch;
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const traces = new Map<string, Pending[]>();
    for (const entry of batch) {
      const list = traces.get(entry.command.traceId);
      if (list) list.push(entry);
      else traces.set(entry.command.traceId, [entry]);
    }
    try {
      const trust = this.options.cacheTrustNs;
      if (trust !== undefined) {
        const cutoff = this.options.clock() - trust;
        for (const traceId of traces.keys()) this.cache.deleteIfIdleSince(traceId, cutoff);
      }
      // States not read from the store for this batch: cached ones, and new traces assumed empty.
      const unread = new Set([...traces.keys()].filter((traceId) => this.cache.has(traceId)));
      // When each trace's last event was recorded, at the latest known: what the cache keeps with its state.
      const lastEventAt = new Map<string, bigint>();
      // Where each trace's last event is (traces with events only).
      const lastPositions = new Map<string, bigint>();
      const states = await this.timely(this.loadStates(traces, unread, lastEventAt, lastPositions));
      const now = this.options.clock();
      const work: TraceWork[] = [];
      for (const [traceId, entries] of traces) work.push(this.decideSafely(traceId, entries, states.get(traceId)!, lastPositions.get(traceId), now));

      const writes = work.filter((w) => w.events.length > 0);
      const requests: AppendRequest[] = writes.map((w) => ({
        streamId: w.traceId,
        expectedVersion: w.expectedVersion === 0 ? "no_stream" : w.expectedVersion,
        expectedLastPosition: w.lastPosition,
        events: w.events,
      }));
      const appended = requests.length > 0 ? await this.timely(this.append(requests)) : [];
      const conflicted: Pending[] = [];
      writes.forEach((w, i) => {
        const result = appended[i]!;
        // A duplicate means another process stored these very events first: the
        // answers must come from the stored trace, not from our stale state.
        if (result instanceof Error || result.duplicate) {
          this.cache.delete(w.traceId);
          conflicted.push(...w.entries);
          return;
        }
        this.committed(w, result, now);
      });
      const readOnly = work.filter((w) => w.events.length === 0);
      const stale = await this.timely(this.staleAnswers(readOnly, unread));
      for (const w of readOnly) {
        if (stale.has(w.traceId)) {
          this.cache.delete(w.traceId);
          conflicted.push(...w.entries);
        } else {
          this.answer(w, lastEventAt.get(w.traceId) ?? now);
        }
      }
      this.retry(conflicted);
    } catch (error) {
      // The store failed: what was not answered yet is not known to be durable,
      // so no state built from this batch may stay cached. Commands already
      // answered (their commit succeeded) keep their answer.
      for (const [traceId, entries] of traces) {
        this.cache.delete(traceId);
        for (const entry of entries) entry.group.settle(entry.index, unavailable(traceId, error));
      }
    } finally {
      for (const traceId of traces.keys()) this.busy.delete(traceId);
    }
  }

  /** A store operation of a batch, within the store deadline. */
  private timely<T>(operation: Promise<T>): Promise<T> {
    return withinStoreDeadline(operation, this.storeDeadlineMs, () => this.options.onStoreDeadline?.());
  }

  private async append(requests: AppendRequest[]): Promise<Array<AppendResult | AppendError>> {
    const observer = this.options.observer;
    if (!observer) return this.options.store.appendMany(requests);
    const started = performance.now();
    const results = await this.options.store.appendMany(requests);
    let events = 0;
    for (const request of requests) events += request.events.length;
    observeSafely(() => observer.appended((performance.now() - started) / 1000, events));
    return results;
  }

  /**
   * An answer decided on a state that was not read (cached, or a new trace
   * assumed empty) that writes nothing, a rejection or a duplicate acknowledged
   * again, meets no version conflict that would reveal that the trace is not
   * what the state says: changed by another process, there all along, or
   * deleted by retention since (a duplicate would then be acknowledged and
   * stored nowhere), or deleted and begun again up to the same version. Before
   * answering one, check the stream's version and last event's position; a
   * stale state reloads.
   */
  private async staleAnswers(readOnly: TraceWork[], unread: Set<string>): Promise<Set<string>> {
    const suspects = readOnly.filter((w) => !w.failed && unread.has(w.traceId) && w.results.some((r) => r.ok || r.error.kind !== "invalid_argument"));
    const stale = new Set<string>();
    await Promise.all(
      suspects.map(async (w) => {
        const head = await this.options.store.streamHead(w.traceId);
        if (head.version !== w.expectedVersion || head.lastPosition !== w.lastPosition) stale.add(w.traceId);
      }),
    );
    return stale;
  }

  /**
   * A command that makes deciding or encoding throw (a defect, or input that
   * slipped past validation) fails its own trace's commands as INTERNAL_ERROR,
   * not the whole group commit as a retryable store failure: every sender
   * would retry it, and fail the other traces of its batches, forever.
   */
  private decideSafely(traceId: string, entries: Pending[], state: TraceState | UnreadableTrace, lastPosition: bigint | undefined, now: bigint): TraceWork {
    if (state instanceof UnreadableTrace) {
      const results = entries.map(() => internal(traceId, state.cause));
      return { traceId, entries, state: initialTraceState(traceId), expectedVersion: 0, lastPosition: undefined, events: [], decided: [], results, failed: true };
    }
    try {
      return this.decide(traceId, entries, state, lastPosition, now);
    } catch (error) {
      this.cache.delete(traceId);
      const results = entries.map(() => internal(traceId, error));
      return { traceId, entries, state, expectedVersion: state.version, lastPosition, events: [], decided: [], results, failed: true };
    }
  }

  private decide(traceId: string, entries: Pending[], state: TraceState, lastPosition: bigint | undefined, now: bigint): TraceWork {
    const work: TraceWork = { traceId, entries, state, expectedVersion: state.version, lastPosition, events: [], decided: [], results: [] };
    const ctx = { now, newId: this.options.newId, limits: this.options.limits };
    for (const entry of entries) {
      const decision = this.decideWithinSize(entry.command, work.state, ctx);
      if (!decision.ok) {
        work.results.push({ ok: false, traceId, error: decision.error });
        continue;
      }
      const { events, encoded } = decision;
      for (let i = 0; i < events.length; i++) {
        work.events.push(encoded[i]!);
        work.decided.push(events[i]!);
        work.state = evolveTrace(work.state, events[i]!);
      }
      work.results.push({ ok: true, traceId, outcome: decision.outcome });
    }
    return work;
  }

  /**
   * decideTrace, with its events encoded, or EVENT_TOO_LARGE for a command that would store
   * an event larger than reads can send. The payload lengths are at hand: no cost unless one
   * is too large. The spans of an OTLP command are each judged on its own: those with such an
   * event are rejected (in partial_success) and the command is decided again without them.
   */
  private decideWithinSize(command: TraceCommand, state: TraceState, ctx: Parameters<typeof decideTrace>[2]): SizedDecision {
    const traceId = command.traceId;
    let current = command;
    let tooLarge: RejectedSpan[] | undefined;
    for (;;) {
      const decision = decideTrace(current, state, ctx);
      if (!decision.ok) return decision;
      const encoded = decision.events.map((event) => toNewEvent(traceId, event));
      let bySpan: Map<string, RejectedSpan> | undefined;
      let first: RejectedSpan | undefined;
      for (let i = 0; i < encoded.length; i++) {
        const size = encoded[i]!.payload.length;
        if (size <= this.maxEventBytes) continue;
        const value = decision.events[i]!.value;
        const spanId = "spanId" in value ? bytesToHex(value.spanId) : "";
        const rejected = { spanId, error: eventTooLarge(traceId, encoded[i]!.type, spanId, size, this.options.maxMessageBytes) };
        first ??= rejected;
        if (spanId !== "" && !bySpan?.has(spanId)) (bySpan ??= new Map()).set(spanId, rejected);
      }
      if (first === undefined) {
        const outcome = tooLarge && decision.outcome.type === "FinishedSpansRecorded" ? { ...decision.outcome, rejected: [...decision.outcome.rejected, ...tooLarge] } : decision.outcome;
        return { ok: true, events: decision.events, encoded, outcome };
      }
      // A command of one span, or an event of no span (the trace's start or completion): the whole command.
      if (current.type !== "RecordFinishedSpans" || bySpan === undefined) return { ok: false, error: first.error };
      const kept = [];
      for (const span of current.spans) {
        const rejected = bySpan.get(span.spanId);
        if (rejected) (tooLarge ??= []).push(rejected);
        else kept.push(span);
      }
      if (kept.length === current.spans.length) return { ok: false, error: first.error };
      current = { ...current, spans: kept };
    }
  }

  /** `now` is the batch's clock, read before the append: its events were recorded at or after it. */
  private committed(work: TraceWork, result: AppendResult, now: bigint): void {
    if (result.nextVersion !== work.state.version) {
      this.cache.delete(work.traceId);
    } else {
      this.cache.remember(work.traceId, work.state, now, result.positions[result.positions.length - 1]);
    }
    this.answer(work, now);
    const observer = this.options.observer;
    if (observer) observeSafely(() => observer.committed(work.state, work.decided));
    if (this.options.onAppended) {
      const first = result.nextVersion - work.events.length + 1;
      this.options.onAppended(
        work.traceId,
        work.events.map((event, i) => ({ version: first + i, position: result.positions[i] ?? 0n, event })),
      );
    }
  }

  private answer(work: TraceWork, lastEventAt: bigint): void {
    if (work.events.length === 0 && !work.failed) this.cache.remember(work.traceId, work.state, lastEventAt, work.lastPosition);
    const { entries, results } = work;
    for (let i = 0; i < entries.length; i++) entries[i]!.group.settle(entries[i]!.index, results[i]!);
  }

  private retry(entries: Pending[]): void {
    const again: Pending[] = [];
    for (const entry of entries) {
      entry.conflicts++;
      if (entry.conflicts > this.maxConflicts) entry.group.settle(entry.index, aborted(entry.command.traceId, entry.conflicts));
      else again.push(entry);
    }
    if (again.length === 0) return;
    // Ahead of newer commands, so the trace's order is kept.
    this.queue.unshift(...again);
    this.schedule();
  }

  /**
   * The state of each trace, with when and where its last event is; those it did not
   * read (assumed empty) are added to `unread`.
   */
  private async loadStates(
    traces: Map<string, Pending[]>,
    unread: Set<string>,
    lastEventAt: Map<string, bigint>,
    lastPositions: Map<string, bigint>,
  ): Promise<Map<string, TraceState | UnreadableTrace>> {
    const states = new Map<string, TraceState | UnreadableTrace>();
    const loads: Array<Promise<void>> = [];
    for (const [traceId, entries] of traces) {
      const cached = this.cache.entry(traceId);
      if (cached) {
        states.set(traceId, cached.state);
        lastEventAt.set(traceId, cached.lastEventAt);
        if (cached.lastPosition !== undefined) lastPositions.set(traceId, cached.lastPosition);
      } else if (entries[0]!.conflicts === 0 && startsNewTrace(entries[0]!.command)) {
        // A start without a local parent usually opens a new trace: assume the
        // stream is empty and let the expected version catch the exception,
        // instead of paying a read for every new trace.
        states.set(traceId, initialTraceState(traceId));
        unread.add(traceId);
      } else {
        loads.push(
          this.load(traceId).then(({ state, last }) => {
            states.set(traceId, state);
            if (last === undefined) return;
            lastEventAt.set(traceId, last.recordedAt);
            lastPositions.set(traceId, last.position);
          }),
        );
      }
    }
    await Promise.all(loads);
    return states;
  }

  /**
   * The trace's state from its events. A store that fails fails the batch (it is
   * an outage); an event this server cannot read (a type a newer replica wrote,
   * a damaged payload) fails only its own trace's commands.
   */
  private async load(traceId: string): Promise<{ state: TraceState | UnreadableTrace; last: StoredEvent | undefined }> {
    const stored = await this.options.store.readStream(traceId);
    const last = stored[stored.length - 1];
    let state = initialTraceState(traceId);
    try {
      for (const event of stored) state = evolveTrace(state, decodeStored(event));
    } catch (error) {
      return { state: new UnreadableTrace(error), last };
    }
    return { state, last };
  }
}

/** The events are durable whatever the observer does: a throw there must not turn a commit into an error. */
function observeSafely(report: () => void): void {
  try {
    report();
  } catch {
    // Metrics are best effort; the answer to the caller is what counts.
  }
}

function startsNewTrace(command: TraceCommand): boolean {
  // Finished spans (OTLP) usually open a trace too: most batches carry new traces.
  if (command.type === "RecordFinishedSpans") return true;
  return command.type === "StartSpan" && (command.parentSpanId === "" || command.parentIsRemote);
}

function toNewEvent(traceId: string, event: TraceEventCase): NewEvent {
  const { type, payload } = encodeTraceEvent(event);
  return { eventId: traceEventId(traceId, event), type, payload, occurredAt: occurredAt(event) };
}

/** A decision with its events as they will be stored. */
type SizedDecision = Exclude<Decision, { ok: true }> | (Extract<Decision, { ok: true }> & { readonly encoded: readonly NewEvent[] });

/** A trace whose stored events could not be folded. */
class UnreadableTrace {
  constructor(readonly cause: unknown) {}
}

function decodeStored(event: StoredEvent): TraceEventCase {
  return decodeTraceEvent(event.type, event.payload);
}

function aborted(traceId: string, attempts: number): CommandResult {
  const error: InfrastructureError = {
    kind: "aborted",
    reason: "CONCURRENT_MODIFICATION",
    message: `trace ${traceId} kept changing under concurrent writers (${attempts} attempts); retry the call`,
    metadata: { trace_id: traceId, attempts: String(attempts) },
  };
  return { ok: false, traceId, error };
}

function unavailable(traceId: string, cause: unknown): CommandResult {
  const late = cause instanceof StoreDeadlineExceeded;
  const error: CommandError = {
    kind: "unavailable",
    reason: "STORE_UNAVAILABLE",
    message: late ? cause.message : `the event store could not be written: ${cause instanceof Error ? cause.message : String(cause)}`,
    metadata: late ? { trace_id: traceId, deadline_ms: String(cause.deadlineMs) } : { trace_id: traceId },
  };
  return { ok: false, traceId, error };
}

function internal(traceId: string, cause: unknown): CommandResult {
  const error: CommandError = {
    kind: "internal",
    reason: "INTERNAL_ERROR",
    message: `the command could not be decided: ${cause instanceof Error ? cause.message : String(cause)}`,
    metadata: { trace_id: traceId },
  };
  return { ok: false, traceId, error };
}

function shuttingDown(traceId: string): CommandResult {
  const error: CommandError = { kind: "unavailable", reason: "SHUTTING_DOWN", message: "the server is shutting down", metadata: { trace_id: traceId } };
  return { ok: false, traceId, error };
}

/**
 * A command that names no valid trace is refused before its batch touches the
 * store, whose stream ids must be trace ids: there it would fail the whole
 * group commit, every other caller's commands with it.
 */
function refusedBeforeTheStore(command: TraceCommand): CommandResult | undefined {
  const problem = traceIdProblem(command.traceId);
  return problem ? { ok: false, traceId: command.traceId, error: problem } : undefined;
}
