// A pause that ends early when woken or aborted: a background loop rests with it
// between polls, and a commit (wake) or shutdown (abort) cuts the rest short.

export class WakeableSleep {
  private current: { timer: NodeJS.Timeout; done: () => void; endsAt: number } | undefined;

  /** Resolves after `ms`, or when woken or `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(this.current?.timer);
        signal?.removeEventListener("abort", done);
        this.current = undefined;
        resolve();
      };
      signal?.addEventListener("abort", done, { once: true });
      this.current = { timer: setTimeout(done, ms), done, endsAt: performance.now() + ms };
    });
  }

  /** Ends the current pause after at most `afterMs` (at once by default). */
  wake(afterMs = 0): void {
    const current = this.current;
    if (!current) return;
    if (afterMs <= 0) return current.done();
    if (performance.now() + afterMs >= current.endsAt) return;
    clearTimeout(current.timer);
    current.timer = setTimeout(current.done, afterMs);
    current.endsAt = performance.now() + afterMs;
  }
}
