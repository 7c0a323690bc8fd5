// GetTrace's read path: the encoded view of a trace now, as of a version, or as
// of a time. Every read is one statement to PostgreSQL (view-store.ts): the
// stream's version, the newest snapshot past what this process already holds,
// and the events after it. A view is then the fold of those events resumed from
// the snapshot or the cached state (trace-view-state.ts), so the cost of a read
// follows the events not yet folded, not the size of the trace.
//
// Folding across a multiple of `snapshotEvery` offers the state at that version to
// the snapshot writer, and so does folding to the end of a completed trace: the
// next read here or on any replica starts from there. The cache keeps those
// states too, the states read from snapshots, and the newest state of each
// trace read now: the likeliest starts of the next reads. On a big trace, only
// some of those versions get a state of their own (fold, BATCH_PER_SPAN): the
// cost of a read stays linear in its events.
//
// A read of a big trace (tens of thousands of spans) takes seconds of CPU: after
// its statement, it runs in time slices (time-slices.ts), letting the event loop
// turn between them, so other calls (ingest acks too) wait one slice, not the read.
// A usual read is shorter than a slice and runs as before, without pausing.

import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { decodeTraceEvent, isTraceEventType } from "../events/trace-event-codec.js";
import type { SnapshotWriter } from "./snapshot-writer.js";
import { DEFAULT_SLICE_MS, TimeSlices } from "./time-slices.js";
import type { TraceViewCache } from "./trace-view-cache.js";
import { SKIPPED, TraceViewState } from "./trace-view-state.js";
import type { ViewEvent, ViewStore } from "./view-store.js";

export type TraceMoment =
  | { readonly kind: "now" }
  /** After this many events of the stream (the newest version if the stream is shorter). */
  | { readonly kind: "version"; readonly version: number }
  /** After every event recorded at or before this time, Unix nanoseconds. */
  | { readonly kind: "time"; readonly at: bigint };

interface TraceReaderOptions {
  readonly store: ViewStore;
  /** Unix nanoseconds: what "now" is for running spans. */
  readonly clock: () => bigint;
  /** Recently read views; none means every read starts from a snapshot. */
  readonly cache?: TraceViewCache;
  /** Writes snapshots; none means reads use stored snapshots but add none. */
  readonly snapshots?: SnapshotWriter;
  /** A snapshot every this many versions. Default 128. */
  readonly snapshotEvery?: number;
  /** How long a read runs before it lets the event loop turn (time-slices.ts). Default 10 ms; 0 at every step. */
  readonly sliceMs?: number;
}

/** Events decoded between two looks at the time slice: 1-3 us each. */
const EVENTS_PER_STEP = 256;

/**
 * A state at a snapshot version costs a pass over all its spans (TraceViewState.apply
 * copies the span list and the next apply indexes it), so one at every multiple of
 * `snapshotEvery` made reading a big trace from scratch quadratic: (events / 128) x
 * spans, 20 s for 60,000 spans. A fold therefore stops at a snapshot version only once
 * it has folded at least spans / BATCH_PER_SPAN events since its last state (and
 * always at the last snapshot version it reaches, where the next reads start). That
 * pass is then paid for by those events: about 1 us per span against 10-20 us to fold
 * and encode an event, so at most some 8 us per event more than one single apply.
 *
 * Time travel keeps what snapshots are for: the states fall at most spans / 8 +
 * snapshotEvery events apart, and a read from one folds no more events than the spans
 * it parses and answers anyway; each such read also stores the snapshot at the last
 * snapshot version before its own. A trace of up to 8 x snapshotEvery spans (1,024 by
 * default) gets a state at every multiple, as before.
 */
const BATCH_PER_SPAN = 1 / 8;

export class TraceReader {
  private readonly every: number;

  constructor(private readonly options: TraceReaderOptions) {
    this.every = options.snapshotEvery ?? 128;
    if (!(Number.isInteger(this.every) && this.every > 0)) throw new RangeError(`snapshotEvery must be a positive integer, got ${this.every}`);
  }

  /** The encoded GetTraceResponse, or undefined when the trace did not exist at that moment. */
  async read(traceId: string, moment: TraceMoment): Promise<Uint8Array | undefined> {
    const toVersion = moment.kind === "version" ? moment.version : undefined;
    const until = moment.kind === "time" ? moment.at : undefined;
    const cache = this.options.cache;
    let base = cache?.best(traceId, toVersion, until);
    let sources = await this.options.store.load({ traceId, after: base?.version ?? 0, toVersion, recordedAtOrBefore: until });
    if (sources.head === 0) {
      if (base) cache!.forget(traceId);
      return undefined;
    }
    if (base && (sources.head < base.version || sources.afterRecordedAt !== base.recordedAt)) {
      // The stream is shorter than what was folded, or its event at that version is not the
      // one folded: it is not the stream the cache saw (deleted by retention, begun again).
      cache!.forget(traceId);
      base = undefined;
      sources = await this.options.store.load({ traceId, toVersion, after: 0, recordedAtOrBefore: until });
    }
    const snapshot = sources.snapshot;
    let start = base ?? TraceViewState.empty(traceId);
    if (snapshot) {
      start = TraceViewState.fromSnapshot(traceId, snapshot.view, snapshot.recordedAt);
      cache?.put(start, "base");
    }
    // The loop was free while the statement ran: the first slice starts now.
    const slices = new TimeSlices(this.options.sliceMs ?? DEFAULT_SLICE_MS);
    const state = await this.fold(start, sources.events, sources.head, slices);
    if (state.version === 0) return undefined;
    // A version past the stream's is the trace as it is: its running spans measured to now.
    const asItIs = moment.kind === "now" || (moment.kind === "version" && moment.version > sources.head);
    const at = asItIs ? this.options.clock() : moment.kind === "time" ? moment.at : state.recordedAt;
    const response = await slices.run(state.responseSteps(at));
    // A cached state answered (an as-of read at a base): it now keeps that answer too.
    cache?.remeasure(state);
    // The newest state is where the next read of a live trace starts. A past view is kept only
    // if it is at a snapshot version (fold); keeping every one cost random as-of reads 25% more
    // CPU (garbage collection of retained states) for little reuse.
    if (moment.kind === "now") cache?.put(state, "head");
    return response;
  }

  /** Applies the events, offering the states at snapshot versions (and at the end of a completed trace) on the way. */
  private async fold(start: TraceViewState, events: readonly ViewEvent[], head: number, slices: TimeSlices): Promise<TraceViewState> {
    let state = start;
    const writer = this.options.snapshots;
    const last = events[events.length - 1];
    // The last snapshot version these events reach: its state is always made (BATCH_PER_SPAN).
    const cuts: Cuts = { keeps: writer !== undefined || this.options.cache !== undefined, every: this.every, lastSnapshot: last ? last.version - (last.version % this.every) : 0 };
    let batch: (TraceEventCase | typeof SKIPPED)[] = [];
    for (let next = 0; next < events.length; ) {
      const decoded = decodeStep(state, events, next, batch, cuts);
      next += decoded;
      const event = events[next - 1]!;
      if (isCut(cuts, event.version, batch.length, state.spanCount)) {
        state = await slices.run(state.applySteps(batch, event.recordedAt));
        batch = [];
        writer?.offer(state);
        // Where snapshots are is where later reads start: worth keeping here too.
        this.options.cache?.put(state, "base");
      } else if (slices.due) await slices.pause();
    }
    if (last && batch.length > 0) {
      state = await slices.run(state.applySteps(batch, last.recordedAt));
      if (writer && state.progress.completed && state.version === head) writer.offer(state);
    }
    return state;
  }
}

/** Where a fold makes a state of its own (see BATCH_PER_SPAN). */
interface Cuts {
  /** Whether states on the way are kept (offered as snapshots, cached). */
  readonly keeps: boolean;
  readonly every: number;
  /** The last snapshot version the fold reaches. */
  readonly lastSnapshot: number;
}

/** Whether the fold makes a state after the event at `version`, with `batched` events waiting for it. */
function isCut(cuts: Cuts, version: number, batched: number, spans: number): boolean {
  return cuts.keeps && version % cuts.every === 0 && (version === cuts.lastSnapshot || batched >= spans * BATCH_PER_SPAN);
}

/**
 * Decodes events from `from` into the batch: a step's worth, or fewer when one of them
 * is where a state is due. Returns how many it decoded. `state` is the fold's last state:
 * the events must follow its version.
 */
function decodeStep(state: TraceViewState, events: readonly ViewEvent[], from: number, batch: (TraceEventCase | typeof SKIPPED)[], cuts: Cuts): number {
  const to = Math.min(events.length, from + EVENTS_PER_STEP);
  const first = state.version + batch.length + 1;
  for (let i = from; i < to; i++) {
    const event = events[i]!;
    const expected = first + i - from;
    if (event.version !== expected) throw new Error(`trace ${state.traceId}: event version ${event.version} follows version ${expected - 1}`);
    batch.push(isTraceEventType(event.type) ? decodeTraceEvent(event.type, event.payload) : SKIPPED);
    if (isCut(cuts, event.version, batch.length, state.spanCount)) return i - from + 1;
  }
  return to - from;
}
