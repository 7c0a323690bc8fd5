// Writes trace view snapshots in the background, after the read that produced
// them has answered. Snapshots are an optimisation: when too many wait, new ones
// are dropped, and a failed write is reported and forgotten; a later read that
// folds the same events offers them again. A snapshot of a big trace is encoded
// in time slices (a 60,000-span view is 17 MB), as the reads are.

import { TimeSlices } from "./time-slices.js";
import type { TraceViewState } from "./trace-view-state.js";
import type { ViewStore } from "./view-store.js";

interface SnapshotWriterOptions {
  /** Snapshots waiting to be written, at most. Default 256. */
  readonly maxPending?: number;
  readonly onError?: (error: unknown) => void;
}

/** Keys written lately, so that reads offering the same snapshot again cost nothing. */
const REMEMBERED = 4096;

export class SnapshotWriter {
  private readonly pending = new Map<string, TraceViewState>();
  private readonly written = new Set<string>();
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly maxPending: number;

  constructor(
    private readonly store: ViewStore,
    private readonly options: SnapshotWriterOptions = {},
  ) {
    this.maxPending = options.maxPending ?? 256;
  }

  offer(state: TraceViewState): void {
    const key = `${state.traceId}:${state.version}`;
    if (this.closed || this.written.has(key) || this.pending.has(key) || this.pending.size >= this.maxPending) return;
    this.pending.set(key, state);
    // Start after the current read has answered: encoding and writing are not its business.
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Resolves when every snapshot offered so far is written (or dropped). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Drops what waits and waits for the write under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending.clear();
    await this.idle();
  }

  private async drain(): Promise<void> {
    try {
      for (const [key, state] of this.pending) {
        this.pending.delete(key);
        try {
          const view = await new TimeSlices().run(state.snapshotSteps());
          await this.store.save(state.traceId, { version: state.version, recordedAt: state.recordedAt, view });
          this.remember(key);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private remember(key: string): void {
    this.written.add(key);
    if (this.written.size > REMEMBERED) this.written.delete(this.written.values().next().value!);
  }
}
