// Recently read trace views, in process, bounded by an approximate byte budget
// (least recently used out first). A cached state is never trusted on its own:
// a read still asks PostgreSQL for what came after it (see trace-reader.ts), so
// writes by other replicas are seen; the cache only saves folding and encoding
// what has not changed.

import type { TraceViewState } from "./trace-view-state.js";

export class TraceViewCache {
  /** In use order, least recent first. */
  private readonly states = new Map<string, { state: TraceViewState; size: number }>();
  private readonly byTrace = new Map<string, TraceViewState[]>();
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
    for (const state of this.byTrace.get(traceId) ?? []) {
      if (state.version > toVersion || (recordedAtOrBefore !== undefined && state.recordedAt > recordedAtOrBefore)) continue;
      if (!best || state.version > best.version) best = state;
    }
    if (best) this.touch(best);
    return best;
  }

  put(state: TraceViewState): void {
    const key = keyOf(state);
    const size = state.sizeBytes;
    if (size > this.maxBytes) return;
    const known = this.states.get(key);
    if (known) {
      this.bytes += size - known.size;
      this.states.delete(key);
      this.states.set(key, { state, size });
      this.replaceInTrace(state);
    } else {
      this.states.set(key, { state, size });
      this.bytes += size;
      const versions = this.byTrace.get(state.traceId) ?? [];
      versions.push(state);
      this.byTrace.set(state.traceId, versions);
      if (versions.length > this.perTrace) {
        const oldest = versions.reduce((a, b) => (a.version <= b.version ? a : b));
        this.remove(keyOf(oldest));
      }
    }
    for (const [oldest] of this.states) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** Drops every cached state of the trace (its stream is not what they were folded from). */
  forget(traceId: string): void {
    for (const state of this.byTrace.get(traceId) ?? []) this.remove(keyOf(state));
  }

  private touch(state: TraceViewState): void {
    const key = keyOf(state);
    const entry = this.states.get(key);
    if (!entry) return;
    this.states.delete(key);
    this.states.set(key, entry);
  }

  private replaceInTrace(state: TraceViewState): void {
    const versions = this.byTrace.get(state.traceId) ?? [];
    const i = versions.findIndex((s) => s.version === state.version);
    if (i >= 0) versions[i] = state;
  }

  private remove(key: string): void {
    const entry = this.states.get(key);
    if (!entry) return;
    this.states.delete(key);
    this.bytes -= entry.size;
    const versions = this.byTrace.get(entry.state.traceId)?.filter((s) => s !== entry.state) ?? [];
    if (versions.length > 0) this.byTrace.set(entry.state.traceId, versions);
    else this.byTrace.delete(entry.state.traceId);
  }
}

function keyOf(state: TraceViewState): string {
  return `${state.traceId}:${state.version}`;
}
