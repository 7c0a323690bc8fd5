// readAll's page as one framed value (read-all-frames.ts), on a real PostgreSQL: what the
// contract suite does not reach, the payload budget and the frame's edge values.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { type GlobalCheckpoint, type NewEvent, START_OF_LOG, type StoredEvent } from "../event-store.js";
import { PostgresEventStore } from "./postgres-event-store.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.truncate();
});

const streamId = () => randomUUID().replaceAll("-", "");
const event = (payloadBytes: number, type = "SpanStarted"): NewEvent => ({
  eventId: randomUUID(),
  type,
  payload: Uint8Array.from({ length: payloadBytes }, (_, i) => (i * 31) & 0xff),
  occurredAt: 1_764_000_000_000_000_000n,
});

/** Every page until an empty one, each page's size kept. */
async function pages(store: PostgresEventStore, limit: number): Promise<{ sizes: number[]; events: StoredEvent[]; checkpoint: GlobalCheckpoint }> {
  const sizes: number[] = [];
  const events: StoredEvent[] = [];
  let checkpoint = START_OF_LOG;
  for (;;) {
    const page = await store.readAll(checkpoint, limit);
    if (page.events.length === 0) return { sizes, events, checkpoint };
    sizes.push(page.events.length);
    events.push(...page.events);
    checkpoint = page.checkpoint;
  }
}

describe("PostgresEventStore.readAll, framed pages", () => {
  it("stops a page once its payloads pass the budget, always taking the first event, and misses nothing", async () => {
    const store = new PostgresEventStore(db.sql, { readAllPayloadBudget: 100 });
    const s = streamId();
    // Payloads of 40, 40, 40 | 250 | 10, 10 bytes: the budget counts the bytes before an event.
    const sizes = [40, 40, 40, 250, 10, 10];
    await store.append({ streamId: s, expectedVersion: "no_stream", events: sizes.map((n) => event(n)) });
    const read = await pages(store, 10);
    expect(read.sizes).toEqual([3, 1, 2]);
    expect(read.events.map((e) => e.payload.length)).toEqual(sizes);
    expect(read.events).toEqual(await store.readStream(s));
    expect(read.checkpoint.position).toBe(read.events[5]!.position);
  });

  it("carries empty payloads, types that are not ASCII and the largest version", async () => {
    const store = new PostgresEventStore(db.sql);
    const s = streamId();
    await store.append({ streamId: s, expectedVersion: "no_stream", events: [event(0, "Événement"), event(3)] });
    await db.sql`update events set version = 2147483647 where trace_id = ${Buffer.from(s, "hex")} and version = 2`;
    const { events } = await store.readAll(START_OF_LOG, 10);
    expect(events.map((e) => [e.type, e.payload.length, e.version])).toEqual([
      ["Événement", 0, 1],
      ["SpanStarted", 3, 2_147_483_647],
    ]);
    expect(events).toEqual(await store.readStream(s));
  });

  it("refuses a budget that is not a positive integer", () => {
    expect(() => new PostgresEventStore(db.sql, { readAllPayloadBudget: 0 })).toThrow(RangeError);
    expect(() => new PostgresEventStore(db.sql, { readAllPayloadBudget: 1.5 })).toThrow(RangeError);
  });
});

describe("PostgresEventStore.readAll, its horizon", () => {
  const now = () => BigInt(Date.now()) * 1_000_000n;

  it("is absent from a page the payload budget cut short: what follows it may have been recorded before the horizon", async () => {
    const store = new PostgresEventStore(db.sql, { readAllPayloadBudget: 100 });
    await store.append({ streamId: streamId(), expectedVersion: "no_stream", events: [40, 40, 40, 10].map((n) => event(n)) });
    const cut = await store.readAll(START_OF_LOG, 10);
    expect(cut.events.map((e) => e.payload.length)).toEqual([40, 40, 40]);
    expect(cut.horizon).toBeUndefined();
    const rest = await store.readAll(cut.checkpoint, 10);
    expect(rest.events.map((e) => e.payload.length)).toEqual([10]);
    expect(rest.horizon).toBeDefined();
  });

  it("is the time of the read when no transaction holds it back", async () => {
    const store = new PostgresEventStore(db.sql);
    await store.append({ streamId: streamId(), expectedVersion: "no_stream", events: [event(3)] });
    const before = now();
    const read = await store.readAll(START_OF_LOG, 10);
    expect(read.events).toHaveLength(1);
    // Other test files share the cluster: their short writes may hold it back a little.
    expect(read.horizon).toBeDefined();
    expect(read.horizon!).toBeGreaterThan(before - 2_000_000_000n);
    expect(read.horizon!).toBeLessThanOrEqual(now());
    expect((await store.readAll(read.checkpoint, 10)).horizon).toBeDefined();
  });

  it("stays before an append of the same store that PostgreSQL has not received yet (waiting for a connection, or on its way)", async () => {
    // The store's first statement, its append, waits at the client until the gate opens.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let held = false;
    const sql = new Proxy(db.sql, {
      get(target, property, receiver) {
        if (property !== "unsafe") return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<typeof target.unsafe>) => {
          if (held) return target.unsafe(...args);
          held = true;
          return gate.then(() => target.unsafe(...args));
        };
      },
    });
    const store = new PostgresEventStore(sql);
    const s = streamId();
    const appending = store.append({ streamId: s, expectedVersion: "no_stream", events: [event(3)] });
    await new Promise((r) => setTimeout(r, 50));
    const read = await store.readAll(START_OF_LOG, 10);
    expect(read.events).toEqual([]);
    open();
    await appending;
    const [written] = await store.readStream(s);
    expect(read.horizon).toBeDefined();
    expect(read.horizon!).toBeLessThan(written!.recordedAt);
    // Once in, it holds nothing back.
    const after = await store.readAll(START_OF_LOG, 10);
    expect(after.events.map((e) => e.eventId)).toEqual([written!.eventId]);
    expect(after.horizon!).toBeGreaterThan(written!.recordedAt);
  });

  it("stays before every event the read could not see: a transaction held open elsewhere holds it at that transaction's start", async () => {
    const store = new PostgresEventStore(db.sql);
    const held = await db.client(1).reserve();
    try {
      const began = now();
      await held`begin`;
      await held`select pg_current_xact_id()`;
      await new Promise((r) => setTimeout(r, 300));
      // Committed, but after the held transaction took its id: below the read's horizon no more.
      const s = streamId();
      await store.append({ streamId: s, expectedVersion: "no_stream", events: [event(3)] });
      const [written] = await store.readStream(s);
      await new Promise((r) => setTimeout(r, 200));
      const read = await store.readAll(START_OF_LOG, 10);
      expect(read.events).toEqual([]);
      expect(read.horizon).toBeDefined();
      expect(read.horizon!).toBeLessThan(written!.recordedAt);
      expect(read.horizon!).toBeGreaterThan(began - 100_000_000n);
      await held`commit`;
      const after = await store.readAll(START_OF_LOG, 10);
      expect(after.events.map((e) => e.eventId)).toEqual([written!.eventId]);
      expect(after.horizon!).toBeGreaterThan(written!.recordedAt);
    } finally {
      await held`rollback`.catch(() => undefined);
      held.release();
    }
  });
});
