// Maps kept in order of last activity, so "what has been idle for T" is read
// from the front and stops at the first entry that is not: O(stale entries),
// not O(map). The saga's clock only moves forward, so moving an entry to the
// back on activity keeps the order. To make that cheap, an entry moves only
// when its activity enters a new grain (a second, a bucket), and the common
// case is one comparison: the order is by grain, the exact test by lastActivity.

export interface Recency {
  lastActivity: bigint;
  /** The end of the grain in which the entry was last moved to the back. */
  grainEnd: bigint;
}

export function touch<K, V extends Recency>(map: Map<K, V>, key: K, entry: V, at: bigint, grainNs: bigint): void {
  if (at > entry.lastActivity) entry.lastActivity = at;
  if (at >= entry.grainEnd) {
    entry.grainEnd = grainEndOf(at, grainNs);
    map.delete(key);
    map.set(key, entry);
  }
}

/** The end of the grain `at` falls in: a new entry's grainEnd. */
export function grainEndOf(at: bigint, grainNs: bigint): bigint {
  return at - (at % grainNs) + grainNs;
}

/** Entries with no activity for more than `idleNs` at `now`, oldest first. */
export function* idleEntries<K, V extends Recency>(map: Map<K, V>, now: bigint, idleNs: bigint, grainNs: bigint): Generator<[K, V]> {
  const idleBefore = now - idleNs;
  // An entry whose grain ends this late, and everything behind it, was active too recently.
  const stopAt = idleBefore + grainNs;
  for (const entry of map) {
    const e = entry[1];
    if (e.grainEnd >= stopAt) return;
    if (e.lastActivity < idleBefore) yield entry;
  }
}

/**
 * What the map must lose to hold at most `keep` entries besides `except` (a key about to be
 * replaced: neither counted nor chosen), oldest first: every entry idle for more than `idleNs`
 * at `now` (a sweep since would have forgotten it: counting it would make what else goes
 * depend on whether one came), then the least recently active of the others (to the grain:
 * the order is by grain) that `evictable` lets go, as many as they exceed `keep`; fewer when
 * it lets too few go. Idle entries sit at the front, but one may sit just behind a busier
 * entry of its grain, so the first walk goes on to the grain's end. Its cost: the idle
 * entries and a grain's worth; the second's, the entries chosen and those passed over.
 */
export function leastRecent<K, V extends Recency>(map: Map<K, V>, keep: number, evictable: (entry: V) => boolean, except: K, now: bigint, idleNs: bigint, grainNs: bigint): [K, V][] {
  const chosen: [K, V][] = [];
  for (const entry of idleEntries(map, now, idleNs, grainNs)) if (entry[0] !== except) chosen.push(entry);
  let excess = map.size - (map.has(except) ? 1 : 0) - chosen.length - keep;
  if (excess <= 0) return chosen;
  const idleBefore = now - idleNs;
  for (const entry of map) {
    if (entry[0] === except || entry[1].lastActivity < idleBefore || !evictable(entry[1])) continue;
    chosen.push(entry);
    if (--excess === 0) break;
  }
  return chosen;
}
