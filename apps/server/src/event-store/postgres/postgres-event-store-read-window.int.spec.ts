// readAll with the read window on (read-all-window.ts), on a real PostgreSQL: the whole
// EventStore contract, then reads answered from memory compared one by one with the same
// reads answered by PostgreSQL.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { eventStoreContract } from "../event-store.contract.js";
import { type GlobalCheckpoint, type NewEvent, type ReadAllResult, START_OF_LOG } from "../event-store.js";
import { PostgresEventStore } from "./postgres-event-store.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

// Small limits, so that the contract's reads also go through pages being dropped.
eventStoreContract("PostgreSQL with a read window", async (clock) => {
  await db.truncate();
  return new PostgresEventStore(db.sql, { clock, readAllWindow: { maxEvents: 8, maxBytes: 1 << 20 } });
});

const event = (payloadBytes: number): NewEvent => ({
  eventId: randomUUID(),
  type: "SpanStarted",
  payload: Uint8Array.from({ length: payloadBytes }, (_, i) => (i * 7) & 0xff),
  occurredAt: 1_764_000_000_000_000_000n,
});

/** Appends `count` events over a few streams and batches, payloads of varied sizes. */
async function seed(store: PostgresEventStore, count: number): Promise<void> {
  const streams = Array.from({ length: 4 }, () => randomUUID().replaceAll("-", ""));
  for (let done = 0; done < count; done += 4) {
    const n = Math.min(4, count - done);
    await store.appendMany(streams.slice(0, n).map((streamId, k) => ({ streamId, expectedVersion: "any" as const, events: [event(((done + k) * 13) % 60)] })));
  }
}

/** START_OF_LOG and the checkpoint after each event, read from PostgreSQL one event at a time. */
async function everyCheckpoint(store: PostgresEventStore): Promise<GlobalCheckpoint[]> {
  const all = [START_OF_LOG];
  for (;;) {
    const page = await store.readAll(all[all.length - 1]!, 1);
    if (page.events.length === 0) return all;
    all.push(page.checkpoint);
  }
}

/** Reads from `from` in pages of `limit` until an empty page. */
async function drain(store: PostgresEventStore, from: GlobalCheckpoint, limit: number): Promise<ReadAllResult[]> {
  const pages: ReadAllResult[] = [];
  for (let at = from; ; ) {
    const page = await store.readAll(at, limit);
    if (page.events.length === 0) return pages;
    pages.push(page);
    at = page.checkpoint;
  }
}

/** A read's events and checkpoint: its horizon is the time of the read (none for a page from memory). */
function page(result: ReadAllResult): Omit<ReadAllResult, "horizon"> {
  return { events: result.events, checkpoint: result.checkpoint };
}

describe("PostgresEventStore.readAll with a read window", () => {
  beforeEach(async () => {
    await db.truncate();
  });

  it("answers every read that starts inside what it kept exactly as PostgreSQL does, limits and payload budget included", async () => {
    const budget = 90;
    const plain = new PostgresEventStore(db.sql, { readAllPayloadBudget: budget });
    const windowed = new PostgresEventStore(db.sql, { readAllPayloadBudget: budget, readAllWindow: { maxEvents: 1000, maxBytes: 1 << 20 } });
    await seed(plain, 30);
    const checkpoints = await everyCheckpoint(plain);
    expect(checkpoints).toHaveLength(31);
    // One reader follows the log in pages of 4 (the window keeps them), then new events
    // come and it reads on: the stretch grows at its end.
    await drain(windowed, START_OF_LOG, 4);
    await seed(plain, 9);
    const all = await everyCheckpoint(plain);
    await drain(windowed, checkpoints[30]!, 4);
    for (const from of all) {
      for (const limit of [1, 2, 3, 5, 8, 50]) {
        expect(page(await windowed.readAll(from, limit)), `from position ${from.position}, limit ${limit}`).toEqual(page(await plain.readAll(from, limit)));
      }
    }
  });

  it("takes what it kept from memory: another reader gets it even once the table is gone", async () => {
    const reads = { window: 0, database: 0 };
    const store = new PostgresEventStore(db.sql, {
      readAllWindow: { maxEvents: 1000, maxBytes: 1 << 20 },
      onReadAll: (events, fromWindow) => (reads[fromWindow ? "window" : "database"] += events),
    });
    await seed(store, 20);
    const leader = await drain(store, START_OF_LOG, 6);
    expect(reads).toEqual({ window: 0, database: 20 });
    // Not something the server ever does: it shows the next reads touch no table.
    await db.sql`truncate events`;
    const follower = await drain(store, START_OF_LOG, 7);
    expect(follower.flatMap((p) => p.events)).toEqual(leader.flatMap((p) => p.events));
    expect(follower.map((p) => p.events.length)).toEqual([7, 7, 6]);
    expect(follower[2]!.checkpoint).toEqual(leader[3]!.checkpoint);
    expect(reads).toEqual({ window: 20, database: 20 });
  });

  it("reads from PostgreSQL what lies before the pages it kept, and starts again after a hole", async () => {
    const plain = new PostgresEventStore(db.sql);
    const store = new PostgresEventStore(db.sql, { readAllWindow: { maxEvents: 10, maxBytes: 1 << 20 } });
    await seed(plain, 30);
    const checkpoints = await everyCheckpoint(plain);
    // Pages of 5 from the start: only the last two pages (events 21-30) stay.
    await drain(store, START_OF_LOG, 5);
    expect(page(await store.readAll(checkpoints[3]!, 4))).toEqual(page(await plain.readAll(checkpoints[3]!, 4)));
    expect(page(await store.readAll(checkpoints[22]!, 50))).toEqual(page(await plain.readAll(checkpoints[22]!, 50)));
    // A reader past the end of what was kept (events 1-5 kept, it reads from 12): a new stretch.
    const other = new PostgresEventStore(db.sql, { readAllWindow: { maxEvents: 1000, maxBytes: 1 << 20 } });
    await other.readAll(START_OF_LOG, 5);
    const ahead = await other.readAll(checkpoints[12]!, 5);
    expect(page(ahead)).toEqual(page(await plain.readAll(checkpoints[12]!, 5)));
    await db.sql`truncate events`;
    // Events 13-17 come from memory now; events 1-5 were let go, so PostgreSQL answers (empty).
    expect((await other.readAll(checkpoints[13]!, 10)).events).toEqual(ahead.events.slice(1));
    expect((await other.readAll(START_OF_LOG, 5)).events).toEqual([]);
  });

  it("refuses limits that are not positive integers", () => {
    expect(() => new PostgresEventStore(db.sql, { readAllWindow: { maxEvents: 0, maxBytes: 10 } })).toThrow(/positive integer limits/);
    expect(() => new PostgresEventStore(db.sql, { readAllWindow: { maxEvents: 10, maxBytes: 1.5 } })).toThrow(/positive integer limits/);
  });
});
