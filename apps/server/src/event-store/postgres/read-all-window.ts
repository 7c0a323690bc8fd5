// The most recent pages of the global log that this process read, kept so that the
// other readers following the log (the ListTraces projector, the monitoring saga, the
// OTLP export) take them from memory instead of reading and decoding them again.
// Each page costs PostgreSQL ~2 us and Node ~1.5 us per event to read (BENCHMARKS.md,
// "Global read"), and every follower of the log paid that for the same events.
//
// Why serving from memory is exact: a page holds every event between its starting
// checkpoint and its last event, because readAll stops below the oldest transaction
// still running, so nothing can commit into that range later, and the log is never
// rewritten (retention deletes only whole traces strictly before every subscriber's
// checkpoint; a page kept here may still show such a trace to a reader that starts
// from the start of the log, as PostgreSQL may between two of its pages: the saga
// forgets, once caught up, traces that are gone). Pages that follow one another (one ends where the next starts) therefore
// form one stretch of the log with no holes, and any read that starts inside it can be
// answered from it: the events after the reader's checkpoint, as many as it asked for.
// A read outside the stretch goes to PostgreSQL. Only a read that starts exactly at the
// stretch's end extends it, and one past its end (the log moved on without us) starts a
// new stretch.

import type { GlobalCheckpoint, ReadAllResult, StoredEvent } from "../event-store.js";
import { compareCheckpoints } from "../rules.js";

interface WindowPage {
  /** The checkpoint the page was read after. */
  readonly from: GlobalCheckpoint;
  readonly events: readonly StoredEvent[];
  readonly transactionIds: BigUint64Array;
  /** The size of the page's framed buffer, which its payloads are views into and keep alive. */
  readonly bytes: number;
}

export interface ReadAllWindowLimits {
  /** Events kept at most (their objects live on the heap: the garbage collector walks them). */
  readonly maxEvents: number;
  /** Framed bytes kept at most. */
  readonly maxBytes: number;
}

export class ReadAllWindow {
  private pages: WindowPage[] = [];
  private events = 0;
  private bytes = 0;

  constructor(private readonly limits: ReadAllWindowLimits) {
    if (!(Number.isSafeInteger(limits.maxEvents) && limits.maxEvents > 0 && Number.isSafeInteger(limits.maxBytes) && limits.maxBytes > 0)) {
      throw new RangeError(`a read window needs positive integer limits, got ${JSON.stringify(limits)}`);
    }
  }

  /**
   * The events after `from` as readAll would return them (at most `limit`, and only as many
   * as fit in `payloadBudget` bytes of payload, the first always), or undefined when the
   * stretch does not hold the place right after `from`.
   */
  read(from: GlobalCheckpoint, limit: number, payloadBudget: number): ReadAllResult | undefined {
    const end = this.end;
    if (end === undefined || compareCheckpoints(from, this.pages[0]!.from) < 0 || compareCheckpoints(from, end) >= 0) return undefined;
    let p = this.pageHolding(from);
    let i = firstAfter(this.pages[p]!, from);
    const events: StoredEvent[] = [];
    let payloads = 0;
    let last: GlobalCheckpoint = from;
    for (; p < this.pages.length && events.length < limit; p++, i = 0) {
      const page = this.pages[p]!;
      for (; i < page.events.length && events.length < limit; i++) {
        const event = page.events[i]!;
        // As readAll's SQL: an event comes while the payloads before it are under the budget.
        if (events.length > 0 && payloads >= payloadBudget) return { events, checkpoint: last };
        payloads += event.payload.length;
        events.push(event);
        last = { transactionId: page.transactionIds[i]!, position: event.position };
      }
    }
    return { events, checkpoint: last };
  }

  /** A page just read from PostgreSQL after `from` (not empty). */
  remember(from: GlobalCheckpoint, events: readonly StoredEvent[], transactionIds: BigUint64Array, bytes: number): void {
    if (events.length === 0) return;
    const end = this.end;
    if (end !== undefined) {
      const place = compareCheckpoints(from, end);
      // Behind the end: the stretch holds these already, or they are older than it.
      if (place < 0) return;
      // Past the end: a hole between the two, so the stretch starts again here.
      if (place > 0) this.clear();
    }
    this.pages.push({ from, events, transactionIds, bytes });
    this.events += events.length;
    this.bytes += bytes;
    // The newest page always stays, even past the limits: it is what the next reads want.
    while (this.pages.length > 1 && (this.events > this.limits.maxEvents || this.bytes > this.limits.maxBytes)) {
      const dropped = this.pages.shift()!;
      this.events -= dropped.events.length;
      this.bytes -= dropped.bytes;
    }
  }

  private clear(): void {
    this.pages = [];
    this.events = 0;
    this.bytes = 0;
  }

  /** The checkpoint after the stretch's last event; undefined when nothing is kept. */
  private get end(): GlobalCheckpoint | undefined {
    const page = this.pages[this.pages.length - 1];
    if (!page) return undefined;
    const last = page.events.length - 1;
    return { transactionId: page.transactionIds[last]!, position: page.events[last]!.position };
  }

  /** The last page that starts at or before `from` (the stretch holds `from`). */
  private pageHolding(from: GlobalCheckpoint): number {
    let lo = 0;
    let hi = this.pages.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (compareCheckpoints(this.pages[mid]!.from, from) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** The index of the page's first event after `from`. */
function firstAfter(page: WindowPage, from: GlobalCheckpoint): number {
  let lo = 0;
  let hi = page.events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const tx = page.transactionIds[mid]!;
    const after = tx > from.transactionId || (tx === from.transactionId && page.events[mid]!.position > from.position);
    if (after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
