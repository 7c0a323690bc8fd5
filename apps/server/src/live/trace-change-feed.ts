// Wakes readers that follow a trace (WatchTrace) when new events for it are
// durable. It carries no events, only "look again": readers re-read from the
// store, so a slow reader buffers nothing here and misses nothing.

export class TraceChangeFeed {
  private readonly waiters = new Map<string, Set<() => void>>();

  notify(traceId: string): void {
    const set = this.waiters.get(traceId);
    if (!set) return;
    this.waiters.delete(traceId);
    for (const wake of set) wake();
  }

  /** Resolves on the next change of the trace, after `timeoutMs`, or when `signal` aborts. */
  waitForChange(traceId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      let set = this.waiters.get(traceId);
      if (!set) this.waiters.set(traceId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        const current = this.waiters.get(traceId);
        current?.delete(done);
        if (current?.size === 0) this.waiters.delete(traceId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  /** Wakes everyone, for shutdown. */
  wakeAll(): void {
    for (const traceId of [...this.waiters.keys()]) this.notify(traceId);
  }
}
