// A ViewStore in memory for specs of the read path without PostgreSQL: the
// events of one stream, recorded one nanosecond apart, and the snapshots saved.

import type { TraceEventCase } from "../../domain/trace/trace-event.js";
import { encodeTraceEvent } from "../../events/trace-event-codec.js";
import type { ViewEvent, ViewSnapshot, ViewSources, ViewSourcesQuery, ViewStore } from "../view-store.js";

export class MemoryViewStore implements ViewStore {
  readonly events: readonly ViewEvent[];
  readonly snapshots = new Map<number, ViewSnapshot>();
  /** What each load() answered with: the snapshot's version (0 for none) and how many events. */
  readonly loads: Array<{ snapshot: number; events: number }> = [];

  constructor(
    events: readonly TraceEventCase[],
    readonly recordedAt: (version: number) => bigint,
  ) {
    this.events = events.map((event, i) => ({ version: i + 1, recordedAt: recordedAt(i + 1), ...encodeTraceEvent(event) }));
  }

  async load(query: ViewSourcesQuery): Promise<ViewSources> {
    const within = (version: number, recordedAt: bigint) =>
      version <= (query.toVersion ?? Infinity) && (query.recordedAtOrBefore === undefined || recordedAt <= query.recordedAtOrBefore);
    let snapshot: ViewSnapshot | undefined;
    for (const stored of this.snapshots.values()) {
      if (stored.version > query.after && within(stored.version, stored.recordedAt) && (!snapshot || stored.version > snapshot.version)) snapshot = stored;
    }
    const from = snapshot?.version ?? query.after;
    const events = this.events.slice(from).filter((event) => within(event.version, event.recordedAt));
    this.loads.push({ snapshot: snapshot?.version ?? 0, events: events.length });
    return { head: this.events.length, afterRecordedAt: this.events[query.after - 1]?.recordedAt, snapshot, events };
  }

  async save(_traceId: string, snapshot: ViewSnapshot): Promise<void> {
    if (!this.snapshots.has(snapshot.version)) this.snapshots.set(snapshot.version, snapshot);
  }
}
