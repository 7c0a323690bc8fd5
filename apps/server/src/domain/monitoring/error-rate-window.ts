// Ended and errored spans counted per time bucket in a ring of fixed size: the
// window slides by one bucket at a time and never grows. A slot is reused when
// a later bucket maps onto it, so expiry needs no sweep; readers simply skip
// slots older than the window they ask about. With 6 buckets of 10 s, a window
// holds the running bucket and the 5 before it: between 50 and 60 s of spans.

export interface ErrorRateWindow {
  /** Which bucket each slot counts (time / bucket width); -1 for never used. */
  readonly bucketOf: number[];
  readonly ended: number[];
  readonly errored: number[];
}

export interface ErrorCounts {
  /** Ended spans: the rate's denominator. */
  ended: number;
  errored: number;
}

export function newErrorRateWindow(bucketCount: number): ErrorRateWindow {
  return {
    bucketOf: new Array<number>(bucketCount).fill(-1),
    ended: new Array<number>(bucketCount).fill(0),
    errored: new Array<number>(bucketCount).fill(0),
  };
}

/** Counts one ended span in `bucket`. Buckets never go back: the saga's clock only moves forward. */
export function recordEnded(w: ErrorRateWindow, bucket: number, isError: boolean): void {
  const slot = bucket % w.bucketOf.length;
  if (w.bucketOf[slot] !== bucket) {
    w.bucketOf[slot] = bucket;
    w.ended[slot] = 0;
    w.errored[slot] = 0;
  }
  w.ended[slot]!++;
  if (isError) w.errored[slot]!++;
}

/**
 * The counts of the buckets from `first` to `last` inclusive, into `out` (so a
 * hot path allocates nothing). Pass the window's buckets: (b - size, b] while
 * bucket b runs, or (b - size, b - 1] at the instant b begins.
 */
export function countBuckets(w: ErrorRateWindow, first: number, last: number, out: ErrorCounts): ErrorCounts {
  out.ended = 0;
  out.errored = 0;
  for (let slot = 0; slot < w.bucketOf.length; slot++) {
    const b = w.bucketOf[slot]!;
    if (b >= first && b <= last) {
      out.ended += w.ended[slot]!;
      out.errored += w.errored[slot]!;
    }
  }
  return out;
}

/**
 * The first bucket b from `first` (0 or more) to `last` at whose start the window no longer
 * holds an open alert up (fewer than `minSamples` ended spans, or a rate at or below
 * `resolveAt`), its counts in `out`; undefined when none (`out` then holds `last`'s). At the
 * instant b begins the window is (b - size, b - 1]: b holds nothing yet. One count of the
 * window, then each step adds the bucket that enters and drops the one that leaves: O(size +
 * steps), and past size steps the window is empty, so the walk is at most a window long.
 */
export function releasingBucket(w: ErrorRateWindow, first: number, last: number, c: { readonly minSamples: number; readonly resolveAt: number }, out: ErrorCounts): number | undefined {
  if (first > last) return undefined;
  const size = w.bucketOf.length;
  countBuckets(w, first - size + 1, first - 1, out);
  for (let b = first; ; b++) {
    if (out.ended < c.minSamples || out.errored / out.ended <= c.resolveAt) return b;
    if (b === last) return undefined;
    // From b's window to b + 1's: b enters, b - size + 1 (in the slot b + 1 takes) leaves.
    const entering = b % size;
    if (w.bucketOf[entering] === b) {
      out.ended += w.ended[entering]!;
      out.errored += w.errored[entering]!;
    }
    const leaving = (b + 1) % size;
    if (w.bucketOf[leaving] === b - size + 1) {
      out.ended -= w.ended[leaving]!;
      out.errored -= w.errored[leaving]!;
    }
  }
}
