// The command bus's trace states, least recently used out first. Completed traces
// are kept apart, in a smaller cache: a completed trace rarely takes another
// command (a retried end, a late span), and each state kept outlives the young
// generation, so every completed trace held until 20,000 newer ones push it out
// was old-generation garbage for the collector to trace and sweep (about 2 us per
// event stored on the ingest write path). A trace that is not cached is read and
// folded from the store, so what is kept changes cost, never answers.
//
// Each state keeps when its trace's last event is known to have been recorded (at
// the latest): with retention, a trace idle that long may have been deleted, and
// begun again under its id by another replica, up to the very version cached. And
// the position of that last event, which tells the trace begun again apart whatever
// the replicas' retention: the bus expects it when it appends, and checks it before an
// answer that writes nothing.

import type { TraceState } from "../domain/trace/trace-state.js";

interface Entry {
  state: TraceState;
  /** Unix nanoseconds: the trace's last event was recorded at or after this. */
  lastEventAt: bigint;
  /** The position of the trace's last event; undefined for a trace with no events. */
  lastPosition: bigint | undefined;
}

export class TraceStateCache {
  private readonly open = new Map<string, Entry>();
  private readonly completed = new Map<string, Entry>();

  constructor(
    private readonly openSize: number,
    private readonly completedSize: number,
  ) {}

  get(traceId: string): TraceState | undefined {
    return (this.open.get(traceId) ?? this.completed.get(traceId))?.state;
  }

  /** The cached state with when its last event was recorded and where: one lookup. Read it at once (the entry is reused). */
  entry(traceId: string): Readonly<Entry> | undefined {
    return this.open.get(traceId) ?? this.completed.get(traceId);
  }

  /** When the cached trace's last event was recorded, at the latest known. */
  lastEventAt(traceId: string): bigint | undefined {
    return (this.open.get(traceId) ?? this.completed.get(traceId))?.lastEventAt;
  }

  /** Drops the trace's state if its last event was recorded before `cutoff`. */
  deleteIfIdleSince(traceId: string, cutoff: bigint): void {
    const at = this.lastEventAt(traceId);
    if (at !== undefined && at < cutoff) this.delete(traceId);
  }

  has(traceId: string): boolean {
    return this.open.has(traceId) || this.completed.has(traceId);
  }

  delete(traceId: string): void {
    this.open.delete(traceId);
    this.completed.delete(traceId);
  }

  /** Keeps the state as the most recently used of its kind. `lastPosition` is absent only for a trace with no events. */
  remember(traceId: string, state: TraceState, lastEventAt: bigint, lastPosition?: bigint): void {
    // The entry object is reused (every commit remembers its trace): a new one each time was
    // old-generation garbage, 5x the collector's time in a micro-benchmark of the cache.
    const entry = this.open.get(traceId) ?? this.completed.get(traceId);
    this.delete(traceId);
    const kept = entry ?? { state, lastEventAt, lastPosition };
    kept.state = state;
    kept.lastEventAt = lastEventAt;
    kept.lastPosition = lastPosition;
    if (state.status === "completed") put(this.completed, traceId, kept, this.completedSize);
    else put(this.open, traceId, kept, this.openSize);
  }
}

function put(map: Map<string, Entry>, traceId: string, entry: Entry, size: number): void {
  map.set(traceId, entry);
  if (map.size > size) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
