// Live changes of the running spans, for WatchActiveSpans. The runner publishes
// as it folds; each watcher keeps at most one pending change per span, so a
// slow watcher's backlog is bounded by the spans it watches, never by the rate
// of changes: a span that started and stopped before the watcher looked is
// never mentioned, and only a span's latest state is sent.

import type { ActiveSpanView } from "../domain/monitoring/index.js";

export type StopReason = "ended" | "cancelled" | "orphaned";

export type ActiveSpanChange =
  | { readonly type: "upserted"; readonly span: ActiveSpanView }
  | { readonly type: "stopped"; readonly traceId: string; readonly spanId: string; readonly service: string; readonly reason: StopReason };

export class ActiveSpanFeed {
  private readonly watchers = new Set<ActiveSpanWatcher>();

  /** True when someone watches: the runner skips working changes out otherwise. */
  get watched(): boolean {
    return this.watchers.size > 0;
  }

  /**
   * A watcher of the spans of `service` (every service when empty). Take the
   * snapshot in the same synchronous step, then mark it known(): changes
   * published after this call are relative to it.
   */
  watch(service: string): ActiveSpanWatcher {
    const watcher = new ActiveSpanWatcher(service, () => this.watchers.delete(watcher));
    this.watchers.add(watcher);
    return watcher;
  }

  publish(change: ActiveSpanChange): void {
    for (const watcher of this.watchers) watcher.offer(change);
  }

  /** Wakes every watcher, for shutdown. */
  wakeAll(): void {
    for (const watcher of this.watchers) watcher.poke();
  }
}

class ActiveSpanWatcher {
  private readonly pending = new Map<string, ActiveSpanChange>();
  /** Spans this watcher has been told are running. */
  private readonly known = new Set<string>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly service: string,
    private readonly onClose: () => void,
  ) {}

  /** Records spans of the snapshot as told. */
  markKnown(spans: readonly ActiveSpanView[]): void {
    for (const span of spans) this.known.add(key(span.traceId, span.spanId));
  }

  offer(change: ActiveSpanChange): void {
    const service = change.type === "upserted" ? change.span.service : change.service;
    if (this.service !== "" && service !== this.service) return;
    const k = change.type === "upserted" ? key(change.span.traceId, change.span.spanId) : key(change.traceId, change.spanId);
    // Re-inserting moves the span to the end: changes come out in the order of their latest state.
    this.pending.delete(k);
    if (change.type === "stopped" && !this.known.has(k)) return;
    this.pending.set(k, change);
    this.poke();
  }

  /** The pending changes, oldest first, at most `max`. */
  take(max: number): ActiveSpanChange[] {
    const out: ActiveSpanChange[] = [];
    for (const [k, change] of this.pending) {
      if (out.length >= max) break;
      this.pending.delete(k);
      if (change.type === "upserted") this.known.add(k);
      else this.known.delete(k);
      out.push(change);
    }
    return out;
  }

  /** Resolves when a change is pending, or at once if one is, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    if (this.pending.size > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }

  poke(): void {
    this.wake?.();
  }

  close(): void {
    this.pending.clear();
    this.known.clear();
    this.onClose();
  }
}

function key(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}
