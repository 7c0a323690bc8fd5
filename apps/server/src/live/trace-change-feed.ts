// Wakes readers that follow a trace (WatchTrace) when new events for it are
// durable. It carries no events, only "look again": readers re-read from the
// store, so a slow reader buffers nothing here and misses nothing.
//
// A local commit wakes a trace's readers at once (notify). Commits by other
// replicas are found by polling, and the poll is shared: every pollMs, one
// question to the store for all the traces followed here ("how far is each?",
// one index probe per trace in one statement), and only the readers of traces
// that moved past what they have read are woken. An idle watcher costs a share
// of one statement per poll instead of a statement of its own, and is woken
// as soon as before: within pollMs of another replica's commit.

/** The current version of each trace (0, or absent, for one with no events). */
export type StreamHeads = (traceIds: readonly string[]) => Promise<ReadonlyMap<string, number>>;

interface TraceChangeFeedOptions {
  /**
   * Asks the store for the versions of the followed traces, for the shared poll. Without it,
   * each follower is simply woken every pollMs to read for itself.
   */
  readonly heads?: StreamHeads;
  /** How often followers learn of commits by other replicas. Default 1 s. */
  readonly pollMs?: number;
}

/** A reader's wait for a trace to move past the version it has read. */
export interface Following {
  /** Resolves on a local commit to the trace, once the shared poll sees the trace past `known()`, or when the signal aborts. */
  readonly changed: Promise<void>;
  /** Stops waiting (for a reader that reads on without waiting). */
  cancel(): void;
}

interface Follower {
  readonly known: () => number;
  readonly wake: () => void;
}

export class TraceChangeFeed {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Followers of the shared poll, by trace. */
  private readonly followers = new Map<string, Set<Follower>>();
  private readonly heads: StreamHeads | undefined;
  private readonly pollMs: number;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(options: TraceChangeFeedOptions = {}) {
    this.heads = options.heads;
    this.pollMs = options.pollMs ?? 1000;
  }

  notify(traceId: string): void {
    const set = this.waiters.get(traceId);
    if (!set) return;
    this.waiters.delete(traceId);
    for (const wake of set) wake();
  }

  /** Resolves on the next change of the trace, after `timeoutMs`, or when `signal` aborts. */
  private waitForChange(traceId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.removeWaiter(traceId, done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener("abort", done, { once: true });
      this.addWaiter(traceId, done);
    });
  }

  /**
   * Waits for events of the trace after `known()` (read when the poll looks, so the reader
   * may start waiting before it reads and move on meanwhile).
   */
  follow(traceId: string, known: () => number, signal?: AbortSignal): Following {
    if (this.heads === undefined) {
      // No shared poll: every follower looks for itself, every pollMs.
      const stop = new AbortController();
      return { changed: this.waitForChange(traceId, this.pollMs, signal ? AbortSignal.any([signal, stop.signal]) : stop.signal), cancel: () => stop.abort() };
    }
    let cancel = () => undefined as void;
    const changed = new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const follower: Follower = {
        known,
        wake: () => {
          signal?.removeEventListener("abort", follower.wake);
          this.removeWaiter(traceId, follower.wake);
          const set = this.followers.get(traceId);
          set?.delete(follower);
          if (set?.size === 0) this.followers.delete(traceId);
          resolve();
        },
      };
      cancel = follower.wake;
      signal?.addEventListener("abort", follower.wake, { once: true });
      this.addWaiter(traceId, follower.wake);
      let set = this.followers.get(traceId);
      if (!set) this.followers.set(traceId, (set = new Set()));
      set.add(follower);
      this.schedulePoll();
    });
    return { changed, cancel: () => cancel() };
  }

  /** Wakes everyone, for shutdown. */
  wakeAll(): void {
    for (const traceId of [...this.waiters.keys()]) this.notify(traceId);
  }

  private addWaiter(traceId: string, wake: () => void): void {
    let set = this.waiters.get(traceId);
    if (!set) this.waiters.set(traceId, (set = new Set()));
    set.add(wake);
  }

  private removeWaiter(traceId: string, wake: () => void): void {
    const set = this.waiters.get(traceId);
    set?.delete(wake);
    if (set?.size === 0) this.waiters.delete(traceId);
  }

  /** One poll at a time, pollMs after the last; none while nobody follows. */
  private schedulePoll(): void {
    if (this.pollTimer !== undefined || this.polling || this.followers.size === 0) return;
    this.pollTimer = setTimeout(() => void this.poll(), this.pollMs);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    const traceIds = [...this.followers.keys()];
    if (traceIds.length === 0) return;
    this.polling = true;
    try {
      const heads = await this.heads!(traceIds);
      for (const traceId of traceIds) {
        const head = heads.get(traceId) ?? 0;
        for (const follower of [...(this.followers.get(traceId) ?? [])]) if (head > follower.known()) follower.wake();
      }
    } catch {
      // The store did not answer: the followers read for themselves, and meet the trouble there.
      for (const traceId of traceIds) for (const follower of [...(this.followers.get(traceId) ?? [])]) follower.wake();
    } finally {
      this.polling = false;
      this.schedulePoll();
    }
  }
}
