// The command bus's trace states, least recently used out first. Completed traces
// are kept apart, in a smaller cache: a completed trace rarely takes another
// command (a retried end, a late span), and each state kept outlives the young
// generation, so every completed trace held until 20,000 newer ones push it out
// was old-generation garbage for the collector to trace and sweep (about 2 us per
// event stored on the ingest write path). A trace that is not cached is read and
// folded from the store, so what is kept changes cost, never answers.

import type { TraceState } from "../domain/trace/trace-state.js";

export class TraceStateCache {
  private readonly open = new Map<string, TraceState>();
  private readonly completed = new Map<string, TraceState>();

  constructor(
    private readonly openSize: number,
    private readonly completedSize: number,
  ) {}

  get(traceId: string): TraceState | undefined {
    return this.open.get(traceId) ?? this.completed.get(traceId);
  }

  has(traceId: string): boolean {
    return this.open.has(traceId) || this.completed.has(traceId);
  }

  delete(traceId: string): void {
    this.open.delete(traceId);
    this.completed.delete(traceId);
  }

  /** Keeps the state as the most recently used of its kind. */
  remember(traceId: string, state: TraceState): void {
    this.delete(traceId);
    if (state.status === "completed") put(this.completed, traceId, state, this.completedSize);
    else put(this.open, traceId, state, this.openSize);
  }
}

function put(map: Map<string, TraceState>, traceId: string, state: TraceState, size: number): void {
  map.set(traceId, state);
  if (map.size > size) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
