// Recently read trace views, in process, bounded by an approximate byte budget
// and a number of versions per trace, least recently used out first. A cached
// state is never trusted on its own: a read still asks PostgreSQL for what came
// after it (see trace-reader.ts), so writes by other replicas are seen; the
// cache only saves folding and encoding what has not changed.

import type { TraceViewState } from "./trace-view-state.js";

/**
 * "base": a state reads start from (a snapshot's, or one at a snapshot version).
 * "head": the newest state of a trace read now; a newer head replaces it.
 */
type CachedRole = "base" | "head";

interface Cached {
  readonly state: TraceViewState;
  size: number;
  readonly role: CachedRole;
}

export class TraceViewCache {
  /** In use order, least recent first. */
  private readonly states = new Map<string, Cached>();
  /** Per trace, its cached versions' keys in use order. */
  private readonly byTrace = new Map<string, Set<string>>();
  /** Per trace, the key of its head, if cached. */
  private readonly heads = new Map<string, string>();
  private bytes = 0;

  /** `perTrace`: versions kept of one trace (its snapshot versions and recent reads; time travel moves across them). */
  constructor(
    private readonly maxBytes: number,
    private readonly perTrace = 32,
  ) {}

  get sizeBytes(): number {
    return this.bytes;
  }

  /** The cached state of the trace with the highest version that is within both bounds. */
  best(traceId: string, toVersion = Infinity, recordedAtOrBefore?: bigint): TraceViewState | undefined {
    let best: TraceViewState | undefined;
    for (const key of this.byTrace.get(traceId) ?? []) {
      const state = this.states.get(key)!.state;
      if (state.version > toVersion || (recordedAtOrBefore !== undefined && state.recordedAt > recordedAtOrBefore)) continue;
      if (!best || state.version > best.version) best = state;
    }
    if (best) this.touch(best.traceId, keyOf(best));
    return best;
  }

  put(state: TraceViewState, role: CachedRole): void {
    const key = keyOf(state);
    const size = state.sizeBytes;
    if (size > this.maxBytes) return;
    // A state that is both stays a base: it outlives the next head.
    const effective: CachedRole = this.states.get(key)?.role === "base" ? "base" : role;
    this.remove(key);
    if (role === "head") {
      const previous = this.heads.get(state.traceId);
      if (previous !== undefined && previous !== key && this.states.get(previous)?.role === "head") this.remove(previous);
      this.heads.set(state.traceId, key);
    }
    this.states.set(key, { state, size, role: effective });
    this.bytes += size;
    const keys = this.byTrace.get(state.traceId) ?? new Set<string>();
    keys.add(key);
    this.byTrace.set(state.traceId, keys);
    if (keys.size > this.perTrace) this.remove(keys.values().next().value!);
    this.evictOverBudget();
  }

  /**
   * Counts what a cached state holds now: answering from it keeps its encoded answer
   * (responseBytes' memo), which its size at put() did not include. Without this a
   * cache of as-of reads could hold about twice its budget.
   */
  remeasure(state: TraceViewState): void {
    const entry = this.states.get(keyOf(state));
    if (entry?.state !== state) return;
    const size = state.sizeBytes;
    this.bytes += size - entry.size;
    entry.size = size;
    if (size > this.maxBytes) this.remove(keyOf(state));
    this.evictOverBudget();
  }

  private evictOverBudget(): void {
    for (const [oldest] of this.states) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** Drops every cached state of the trace (its stream is not what they were folded from). */
  forget(traceId: string): void {
    for (const key of [...(this.byTrace.get(traceId) ?? [])]) this.remove(key);
  }

  private touch(traceId: string, key: string): void {
    const entry = this.states.get(key)!;
    this.states.delete(key);
    this.states.set(key, entry);
    const keys = this.byTrace.get(traceId)!;
    keys.delete(key);
    keys.add(key);
  }

  private remove(key: string): void {
    const entry = this.states.get(key);
    if (!entry) return;
    this.states.delete(key);
    this.bytes -= entry.size;
    const keys = this.byTrace.get(entry.state.traceId)!;
    keys.delete(key);
    if (keys.size === 0) this.byTrace.delete(entry.state.traceId);
    if (this.heads.get(entry.state.traceId) === key) this.heads.delete(entry.state.traceId);
  }
}

function keyOf(state: TraceViewState): string {
  return `${state.traceId}:${state.version}`;
}
