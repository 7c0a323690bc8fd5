// The events of traces still open, kept from the log slices the exporter reads
// anyway, so that exporting a completed trace seldom reads its stream again
// (measured: that read was about 40% of the exporter's CPU per span). Only a
// stream seen from its first event, without a gap, is served; anything else
// (a trace that began before this tenure, a stream evicted for room) is read
// from the store as before. Bounded by a number of events; the traces first
// seen longest ago make room.

import type { StoredEvent, StreamId } from "../event-store/event-store.js";

interface Tail {
  readonly events: StoredEvent[];
}

export class StreamTailCache {
  private readonly tails = new Map<StreamId, Tail>();
  private size = 0;

  constructor(private readonly maxEvents: number) {}

  /** Follows the log: keeps `event` if it continues its stream's tail (or begins the stream). */
  add(event: StoredEvent): void {
    if (this.maxEvents <= 0) return;
    const tail = this.tails.get(event.streamId);
    if (!tail) {
      // Only trace streams (other streams, such as the saga's, never complete).
      if (event.version !== 1 || event.type !== "TraceStarted") return;
      this.tails.set(event.streamId, { events: [copy(event)] });
    } else {
      const last = tail.events[tail.events.length - 1]!;
      if (event.version <= last.version) {
        // Seen already (a redelivered slice); unless it is another event at that version: the
        // trace was deleted by retention and begun again under its id, a new stream.
        if (tail.events[event.version - 1]!.eventId === event.eventId) return;
        this.drop(event.streamId);
        this.add(event);
        return;
      }
      if (event.version !== last.version + 1) {
        this.drop(event.streamId); // a gap: this tail cannot serve any more
        return;
      }
      tail.events.push(copy(event));
    }
    this.size++;
    this.makeRoom();
  }

  /** The stream's events 1..toVersion when all of them are here; undefined otherwise. */
  read(streamId: StreamId, toVersion: number): StoredEvent[] | undefined {
    const events = this.tails.get(streamId)?.events;
    if (!events || events.length < toVersion) return undefined;
    return events.length === toVersion ? events : events.slice(0, toVersion);
  }

  drop(streamId: StreamId): void {
    const tail = this.tails.get(streamId);
    if (!tail) return;
    this.size -= tail.events.length;
    this.tails.delete(streamId);
  }

  get eventCount(): number {
    return this.size;
  }

  private makeRoom(): void {
    // Map iteration is insertion order: the streams first seen longest ago go first.
    for (const streamId of this.tails.keys()) {
      if (this.size <= this.maxEvents) return;
      this.drop(streamId);
    }
  }
}

/** The payload copied out of the driver's buffer, so a kept event does not pin a larger one. */
function copy(event: StoredEvent): StoredEvent {
  return { ...event, payload: event.payload.slice() };
}
