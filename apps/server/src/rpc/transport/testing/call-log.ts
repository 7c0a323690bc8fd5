// What the test implementation saw, for tests to wait on instead of sleeping.

export class CallLog {
  private readonly events = new Map<string, unknown[]>();
  private readonly waiters = new Map<string, ((value: unknown) => void)[]>();

  record(event: string, value?: unknown): void {
    const waiting = this.waiters.get(event)?.shift();
    if (waiting) waiting(value);
    else this.events.set(event, [...(this.events.get(event) ?? []), value]);
  }

  /** Forgets what was seen, so one test does not read another's events. */
  clear(): void {
    this.events.clear();
  }

  /** The value of the first not yet consumed occurrence of event, waiting for it if needed. */
  next(event: string): Promise<unknown> {
    const queued = this.events.get(event);
    if (queued && queued.length > 0) return Promise.resolve(queued.shift());
    return new Promise((resolve) => this.waiters.set(event, [...(this.waiters.get(event) ?? []), resolve]));
  }
}
