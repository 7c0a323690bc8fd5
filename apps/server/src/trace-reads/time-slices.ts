// Long reads share the event loop. The server is one Node process: a read that
// holds the loop for seconds (GetTrace of a 60,000-span trace from scratch held
// it 2 s) stalls every other call as long, durable ingest acks included. Work
// that can be long is therefore written as steps, a generator that yields
// between small pieces of work, and run in time slices: once a slice has lasted
// its time, the loop turns (setImmediate: I/O and timers waiting run) before the
// next one. A usual read is shorter than a slice and never pauses.

/** Work in pieces: each `yield` is a point where it may pause. */
export type Steps<T> = Generator<void, T, void>;

/** How long a slice runs before the loop turns. */
export const DEFAULT_SLICE_MS = 10;

/** Runs the steps to their end, without pausing. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** One turn of the event loop: what waits (I/O, timers) runs first. */
function turnOfTheLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The slices of one piece of long work; 0 ms pauses at every step (specs use it). */
export class TimeSlices {
  private started = performance.now();

  constructor(
    private readonly sliceMs = DEFAULT_SLICE_MS,
    /** Runs at each pause, after the loop turned: work that must not wait for the end (a lease's renewal). */
    private readonly atPause?: () => Promise<void>,
  ) {}

  /** True once the current slice has lasted its time. */
  get due(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }

  async pause(): Promise<void> {
    await turnOfTheLoop();
    await this.atPause?.();
    this.started = performance.now();
  }

  /** Runs the steps, pausing between two of them whenever the slice is due. */
  async run<T>(steps: Steps<T>): Promise<T> {
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value;
      if (this.due) await this.pause();
    }
  }
}
