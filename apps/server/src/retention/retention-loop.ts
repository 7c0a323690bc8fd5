// The background schedule of a retention job (traces, alerts): a pass every
// interval, a failed pass (a lost connection, a lock not granted) tried again at
// the next. Passes rest on the loop's sleep between deletes, so stop() cuts a
// rest short and a pass checks `stopped` before its next delete.

import { WakeableSleep } from "../subscription/wakeable-sleep.js";

/** A tenth of the retention period, between 1 s and 10 minutes. */
export function retentionIntervalMs(periodNs: bigint): number {
  const tenth = Number(periodNs / 10_000_000n);
  return Math.min(600_000, Math.max(1_000, tenth));
}

/** What holds a pass back (a reader that has not read the expired data) is named in the log at most this often. */
const WARN_EVERY_MS = 600_000;

export class RetentionLoop {
  readonly sleep = new WakeableSleep();
  private running: Promise<void> | undefined;
  private stopRequested = false;
  private warnedAt = -Infinity;

  constructor(
    private readonly intervalMs: () => number,
    private readonly pass: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  get stopped(): boolean {
    return this.stopRequested;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Calls `warn` with what held the last pass back, if anything did, at most every 10 minutes. */
  heldBack(by: string | undefined, warn: (by: string) => void): void {
    if (by === undefined || performance.now() - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = performance.now();
    warn(by);
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.sleep.wake();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopRequested) {
      await this.sleep.sleep(this.intervalMs());
      if (this.stopRequested) break;
      try {
        await this.pass();
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
