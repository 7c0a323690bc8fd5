// Says a problem once, then stays quiet for an interval, counting what happened
// meanwhile; the next message includes that count. A tracing SDK that logs on
// every dropped span would itself become the outage.

export class RateLimitedWarning {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly write: (message: string) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Warns now if the interval has passed since the last warning; otherwise counts `count` for later. */
  warn(message: string, count = 1): void {
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed += count;
      return;
    }
    const earlier = this.suppressed > 0 ? ` (${this.suppressed} more since the last warning)` : "";
    this.lastAt = now;
    this.suppressed = 0;
    try {
      this.write(`${message}${earlier}`);
    } catch {
      // a failing logger must not reach the application
    }
  }
}
