// Whether an open error-rate alert on statistics has been released by a bucket boundary
// (monitoring-state.ts, canLetGo): asked for every statistic with one that a new name past the
// cap walks by, so the answer is kept. Without spans the window only loses buckets, so the first
// releasing bucket from a given one stays what it was; a span counted changes the last bucket or
// its count, which is how a kept answer is known to be stale. Kept beside the state, not in it
// (a WeakMap by window): snapshots and state comparisons do not see it, and a window decoded
// from a snapshot starts without one.

import { releasingBucket, type ErrorCounts, type ErrorRateWindow } from "./error-rate-window.js";

interface Release {
  /** The search began here: no bucket from here to `bucket` (excluded) releases. */
  readonly from: number;
  /** The first bucket from `from` that releases; Infinity for none. */
  readonly bucket: number;
  /** The window as it was: the bucket of its last span, and that bucket's count. */
  readonly lastBucket: number;
  readonly endedInLast: number;
}

const releases = new WeakMap<ErrorRateWindow, Release>();
const counts: ErrorCounts = { ended: 0, errored: 0 };

/**
 * releasingBucket(w, first, last, c) !== undefined, for a window whose last span was counted
 * in `lastBucket` (none after it), in O(1) while neither a span nor a search from before the
 * kept one comes.
 */
export function releasedBy(w: ErrorRateWindow, lastBucket: number, first: number, last: number, c: { readonly minSamples: number; readonly resolveAt: number }): boolean {
  // Checked up to the running bucket already (by a tick, or a span in it): the common case.
  if (first > last) return false;
  const size = w.bucketOf.length;
  const endedInLast = lastBucket < 0 ? 0 : w.ended[lastBucket % size]!;
  let kept = releases.get(w);
  if (kept === undefined || kept.lastBucket !== lastBucket || kept.endedInLast !== endedInLast || first < kept.from || first > kept.bucket) {
    // A window past its last span by a window's length is empty: what it says then it says for ever.
    const found = releasingBucket(w, first, Math.max(first, lastBucket + size), c, counts);
    kept = { from: first, bucket: found ?? Infinity, lastBucket, endedInLast };
    releases.set(w, kept);
  }
  return kept.bucket <= last;
}
