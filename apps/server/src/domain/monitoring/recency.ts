// Maps kept in order of last activity, so "what has been idle for T" is read
// from the front and stops at the first entry that is not: O(stale entries),
// not O(map). The saga's clock only moves forward, so moving an entry to the
// back on activity keeps the order. To make that cheap, an entry moves only
// when its activity enters a new grain (a second, a bucket): the order is by
// grain, and the exact test uses lastActivity.

export interface Recency {
  lastActivity: bigint;
  /** The start of the grain in which the entry was last moved to the back. */
  grainStart: bigint;
}

export function touch<K, V extends Recency>(map: Map<K, V>, key: K, entry: V, at: bigint, grainNs: bigint): void {
  if (at > entry.lastActivity) entry.lastActivity = at;
  if (at - entry.grainStart >= grainNs) {
    entry.grainStart = at - (at % grainNs);
    map.delete(key);
    map.set(key, entry);
  }
}

/** A new entry's recency: call before inserting it at the back. */
export function recencyAt(at: bigint, grainNs: bigint): Recency {
  return { lastActivity: at, grainStart: at - (at % grainNs) };
}

/** Entries with no activity for more than `idleNs` at `now`, oldest first. */
export function* idleEntries<K, V extends Recency>(map: Map<K, V>, now: bigint, idleNs: bigint): Generator<[K, V]> {
  for (const entry of map) {
    const e = entry[1];
    // Everything behind this entry was active in this grain or later.
    if (e.grainStart + idleNs >= now) return;
    if (e.lastActivity + idleNs < now) yield entry;
  }
}
