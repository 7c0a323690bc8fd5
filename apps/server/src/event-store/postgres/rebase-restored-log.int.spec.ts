// A log restored into another cluster (its transaction ids ahead of the new
// cluster's counter): without the rebase, new events sort before every
// subscriber's checkpoint and nobody reads them; after it, a subscriber reads
// what it had not read in the old order, then the new events, and loses nothing.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { START_OF_LOG, type GlobalCheckpoint, type NewEvent } from "../event-store.js";
import { PostgresEventStore } from "./postgres-event-store.js";
import { rebaseRestoredLog } from "./rebase-restored-log.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const clock = () => 1_764_000_000_000_000_000n;
const stream = (n: number) => n.toString(16).padStart(32, "0");
const event = (): NewEvent => ({ eventId: randomUUID(), type: "TraceStarted", payload: new Uint8Array([1]), occurredAt: 1n });

async function readFrom(store: PostgresEventStore, from: GlobalCheckpoint): Promise<string[]> {
  const seen: string[] = [];
  let at = from;
  for (;;) {
    const slice = await store.readAll(at, 100);
    if (slice.events.length === 0) return seen;
    seen.push(...slice.events.map((e) => `${e.streamId.slice(-2)}@${e.version}`));
    at = slice.checkpoint;
  }
}

describe("rebaseRestoredLog", () => {
  it("does nothing to a log this cluster wrote", async () => {
    await db.truncate();
    const store = new PostgresEventStore(db.sql, { clock });
    await store.append({ streamId: stream(1), expectedVersion: "no_stream", events: [event()] });
    expect(await rebaseRestoredLog(db.sql)).toBe(0);
    expect(await readFrom(store, START_OF_LOG)).toEqual(["01@1"]);
  });

  it("lets subscribers of a restored log read on: what they had not read, then the new events", async () => {
    await db.truncate();
    await db.sql`delete from subscriber_in_flight`;
    const store = new PostgresEventStore(db.sql, { clock });
    for (let n = 1; n <= 4; n++) await store.append({ streamId: stream(n), expectedVersion: "no_stream", events: [event()] });
    // As restored from a cluster whose counter was far ahead: old ids past this cluster's.
    await db.sql`update events set tx_id = (4000000000 + position)::text::xid8`;
    const stored = await db.sql<{ tx_id: string; position: string }[]>`select tx_id::text, position::text from events order by position`;
    const second = { transactionId: BigInt(stored[1]!.tx_id), position: BigInt(stored[1]!.position) };
    expect(await store.saveCheckpoint("reader", START_OF_LOG, second)).toBe(true);
    await db.sql`insert into subscriber_in_flight (subscriber_id, shard, token, tx_id, position) values ('reader', 0, 1, ${stored[2]!.tx_id}::xid8, ${stored[2]!.position}::int8)`;
    await store.append({ streamId: stream(5), expectedVersion: "no_stream", events: [event()] });
    // The defect: the old ids are past this cluster's horizon and the new event sorts before the checkpoint: nothing is read.
    expect(await readFrom(store, await store.loadCheckpoint("reader"))).toEqual([]);

    expect(await rebaseRestoredLog(db.sql)).toBe(5);
    const checkpoint = await store.loadCheckpoint("reader");
    expect(checkpoint).toEqual({ transactionId: 0n, position: BigInt(stored[1]!.position) });
    const [inFlight] = await db.sql<{ tx_id: string; position: string }[]>`select tx_id::text, position::text from subscriber_in_flight where subscriber_id = 'reader'`;
    // The mark covered the restored events up to the third, and the event this cluster wrote (its id sorted before): it may cover more, never less.
    expect(inFlight).toEqual({ tx_id: "0", position: "5" });
    await store.append({ streamId: stream(6), expectedVersion: "no_stream", events: [event()] });
    expect(await readFrom(store, checkpoint)).toEqual(["03@1", "04@1", "05@1", "06@1"]);
    expect(await readFrom(store, START_OF_LOG)).toEqual(["01@1", "02@1", "03@1", "04@1", "05@1", "06@1"]);
    expect(await rebaseRestoredLog(db.sql)).toBe(0);
  });

  it("keeps what this cluster wrote after the restore for a subscriber that had read the whole restored log", async () => {
    await db.truncate();
    const store = new PostgresEventStore(db.sql, { clock });
    for (let n = 1; n <= 3; n++) await store.append({ streamId: stream(n), expectedVersion: "no_stream", events: [event()] });
    await db.sql`update events set tx_id = (4000000000 + position)::text::xid8`;
    const [last] = await db.sql<{ tx_id: string; position: string }[]>`select tx_id::text, position::text from events order by position desc limit 1`;
    expect(await store.saveCheckpoint("caught-up", START_OF_LOG, { transactionId: BigInt(last!.tx_id), position: BigInt(last!.position) })).toBe(true);
    // An older traceledger kept writing on the restored database while its subscribers stalled.
    for (let n = 4; n <= 5; n++) await store.append({ streamId: stream(n), expectedVersion: "no_stream", events: [event()] });
    expect(await rebaseRestoredLog(db.sql)).toBe(5);
    expect(await readFrom(store, await store.loadCheckpoint("caught-up"))).toEqual(["04@1", "05@1"]);
  });

  it("skips nothing for a restored checkpoint whose id is below this cluster's counter (an old cluster's early id)", async () => {
    await db.truncate();
    const store = new PostgresEventStore(db.sql, { clock });
    for (let n = 1; n <= 4; n++) await store.append({ streamId: stream(n), expectedVersion: "no_stream", events: [event()] });
    // Restored: the first two with ids this cluster has passed, the last two with ids it has not reached.
    await db.sql`update events set tx_id = case when position <= 2 then (10 + position)::text::xid8 else (4000000000 + position)::text::xid8 end`;
    expect(await store.saveCheckpoint("early", START_OF_LOG, { transactionId: 11n, position: 1n })).toBe(true);
    await store.append({ streamId: stream(5), expectedVersion: "no_stream", events: [event()] });
    expect(await rebaseRestoredLog(db.sql)).toBe(5);
    const seen = await readFrom(store, await store.loadCheckpoint("early"));
    for (const unread of ["02@1", "03@1", "04@1", "05@1"]) expect(seen).toContain(unread);
  });

  it("moves a checkpoint onto an event, not into a gap of positions, so a reader stopping on it finds it", async () => {
    await db.truncate();
    await db.sql`delete from subscriber_in_flight`;
    const store = new PostgresEventStore(db.sql, { clock });
    for (let n = 1; n <= 2; n++) await store.append({ streamId: stream(n), expectedVersion: "no_stream", events: [event()] });
    // Lost races and aborted appends use positions up: a gap before the next event.
    await db.sql`select nextval('events_position_seq') from generate_series(1, 3)`;
    for (let n = 3; n <= 4; n++) await store.append({ streamId: stream(n), expectedVersion: "no_stream", events: [event()] });
    await db.sql`update events set tx_id = (4000000000 + position)::text::xid8`;
    const stored = await db.sql<{ tx_id: string; position: string }[]>`select tx_id::text, position::text from events order by position`;
    // Read up to the second event: the first unread one is after the gap.
    expect(await store.saveCheckpoint("gap-reader", START_OF_LOG, { transactionId: BigInt(stored[1]!.tx_id), position: BigInt(stored[1]!.position) })).toBe(true);
    expect(await rebaseRestoredLog(db.sql)).toBe(4);
    expect(await store.loadCheckpoint("gap-reader")).toEqual({ transactionId: 0n, position: BigInt(stored[1]!.position) });
    expect(await readFrom(store, await store.loadCheckpoint("gap-reader"))).toEqual(["03@1", "04@1"]);
  });
});
