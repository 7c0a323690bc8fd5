// The background loop shared by the read-model projectors (ListTraces,
// ListAlerts). A projector supplies one step: apply the next slice of what it
// follows in one transaction with its checkpoint, under a transaction-scoped
// advisory lock, and say how many events that was. Every replica may run the
// loop; the lock and the checkpoint's compare-and-set let one apply each slice.

import { WakeableSleep } from "../subscription/wakeable-sleep.js";
import { failurePauseMs } from "../retry/failure-pause.js";

/** step() found another projector holding the lock or moving the checkpoint. */
export const BUSY = -1;

interface ProjectorLoopOptions {
  /** Applies one slice: the number of events applied, 0 when caught up, or BUSY. */
  readonly step: () => Promise<number>;
  /** Events per slice: a slice this full means the projector is behind, so it goes on at once. */
  readonly batchSize: number;
  /** How long to rest when caught up and nobody woke us (other replicas' writes). */
  readonly idleMs: number;
  /**
   * The shortest time between two slices when woken by new commits, and the
   * pause after a slice that was not full. 0: a wake-up steps at once, and a
   * partial slice rests like an idle one.
   */
  readonly minIntervalMs: number;
  readonly onError?: (error: unknown) => void;
}

export class ProjectorLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly rest = new WakeableSleep();
  /** performance.now() when the last step began. */
  private lastStep = 0;

  constructor(private readonly options: ProjectorLoopOptions) {}

  /** Follows in the background until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.follow();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.rest.wake();
    await this.loop;
  }

  /** Nudges a resting loop: new events were committed. */
  wake(): void {
    if (!this.running) return this.rest.wake();
    this.rest.wake(Math.max(0, this.lastStep + this.options.minIntervalMs - performance.now()));
  }

  /**
   * Applies slices until there is nothing more; returns how many events. When
   * another projector (the background loop, or a replica) holds the lock, waits
   * for it: on return, everything committed before the call is applied.
   */
  async catchUp(): Promise<number> {
    let total = 0;
    for (;;) {
      const applied = await this.options.step();
      if (applied === 0) return total;
      if (applied === BUSY) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      total += applied;
    }
  }

  private async follow(): Promise<void> {
    const { batchSize, idleMs, minIntervalMs } = this.options;
    let failures = 0;
    while (this.running) {
      let pauseMs = idleMs;
      try {
        this.lastStep = performance.now();
        const applied = await this.options.step();
        failures = 0;
        // A full slice means we are behind: go on at once. A partial one means we
        // caught up with a live stream of commits: gather for a while first.
        if (applied >= batchSize) continue;
        if (applied > 0 && minIntervalMs > 0) pauseMs = minIntervalMs;
        // Otherwise caught up, or another projector is busy with the slice: rest.
      } catch (error) {
        this.options.onError?.(error);
        // Back off while the database is unwell: 0.5 s, 1 s, 2 s ... 10 s.
        pauseMs = failurePauseMs(failures++);
      }
      if (!this.running) break;
      await this.rest.sleep(pauseMs);
    }
  }
}
