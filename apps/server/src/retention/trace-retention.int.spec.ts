// Trace retention on a real PostgreSQL: expired traces go whole (events, listing
// rows, view snapshots), everything else stays, nothing a subscriber has not read
// goes, and a delete keeps appends out while it runs.

import { create, toBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema, TraceSchema } from "@traceledger/proto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TransactionSql } from "postgres";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { eventIdentity, type TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import type { GlobalCheckpoint } from "../event-store/event-store.js";
import { PostgresEventStore } from "../event-store/postgres/postgres-event-store.js";
import { deriveEventId } from "../events/event-id.js";
import { MONITORING_STREAM_ID } from "../events/reserved-streams.js";
import { encodeTraceEvent, occurredAt } from "../events/trace-event-codec.js";
import { TRACE_LISTING_SUBSCRIBER, TraceListingProjector } from "../projections/postgres/trace-listing-projector.js";
import { createTraceReader } from "../trace-reads/create-trace-reader.js";
import { wideTraceEvents } from "../trace-reads/testing/wide-trace.js";
import { TraceCommandBus } from "../commands/trace-command-bus.js";
import { endSpan, startSpan } from "../domain/testing/trace-fixtures.js";
import { DEFAULT_SPAN_LIMITS } from "../domain/trace/span-limits.js";
import { buildTraceView } from "../projections/testing/build-trace-view.js";
import { PostgresViewStore } from "../trace-reads/postgres/postgres-view-store.js";
import { TraceReader } from "../trace-reads/trace-reader.js";
import { TraceViewCache } from "../trace-reads/trace-view-cache.js";
import { TraceRetention } from "./trace-retention.js";

const SEC = 1_000_000_000n;
const HOUR = 3600n * SEC;
const DAY = 24n * HOUR;
const BASE = 1_764_000_000n * SEC;

let db: TestDatabase;
let now = BASE;
const clock = () => now;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresEventStore(db.sql, { clock });
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  await db.truncate();
  await db.sql`delete from span_index`;
  await db.sql`delete from trace_summaries`;
  await db.sql`delete from trace_view_snapshots`;
  now = BASE;
});

const traceId = (n: number) => n.toString(16).padStart(32, "0");

/** Appends `events` to the trace after `after`, recorded at `at`. */
async function append(id: string, events: readonly TraceEventCase[], after: number, at: bigint): Promise<void> {
  now = at;
  await store.append({
    streamId: id,
    expectedVersion: after === 0 ? "no_stream" : after,
    events: events.map((event) => ({ eventId: deriveEventId(id, eventIdentity(event, bytesToHex)), ...encodeTraceEvent(event), occurredAt: occurredAt(event) })),
  });
}

async function rows(id: string) {
  const trace = Buffer.from(id, "hex");
  const [row] = await db.sql<Array<{ events: number; spans: number; summaries: number; snapshots: number }>>`
    select (select count(*)::int from events where trace_id = ${trace}) as events,
           (select count(*)::int from span_index where trace_id = ${trace}) as spans,
           (select count(*)::int from trace_summaries where trace_id = ${trace}) as summaries,
           (select count(*)::int from trace_view_snapshots where trace_id = ${trace}) as snapshots`;
  return row!;
}

async function checkpointOf(subscriber: string): Promise<GlobalCheckpoint> {
  return store.loadCheckpoint(subscriber);
}

/** Runs `statement` in a transaction of another session and keeps it open (its locks held) until commit(). */
async function holdInAnotherSession(statement: (tx: TransactionSql) => Promise<unknown>): Promise<{ commit(): Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let ran!: () => void;
  const running = new Promise<void>((resolve) => (ran = resolve));
  const transaction = db.client(1).begin(async (tx) => {
    await statement(tx);
    ran();
    await held;
  });
  await running;
  return {
    commit: async () => {
      release();
      await transaction;
    },
  };
}

/** Lists every trace (the projector's checkpoint moves past them all). */
async function project(): Promise<void> {
  await new TraceListingProjector({ sql: db.sql, store, clock }).catchUp();
}

function retention(subscribers: readonly string[] = [TRACE_LISTING_SUBSCRIBER], overrides: { lockTimeoutMs?: number } = {}) {
  return new TraceRetention({ sql: db.sql, retentionNs: 7n * DAY, subscribers, clock, scanPage: 7, deleteBatch: 2, ...overrides });
}

describe("TraceRetention", () => {
  it("deletes traces whose last event is older than the retention, whole, and keeps the rest", async () => {
    const old = [traceId(1), traceId(2), traceId(3)];
    for (const id of old) await append(id, wideTraceEvents(4, id), 0, BASE);
    // Started as long ago, but written to yesterday: kept whole.
    const long = traceId(4);
    const longEvents = wideTraceEvents(6, long);
    await append(long, longEvents.slice(0, 5), 0, BASE);
    await append(long, longEvents.slice(5), 5, BASE + 9n * DAY);
    const fresh = traceId(5);
    await append(fresh, wideTraceEvents(3, fresh), 0, BASE + 9n * DAY);
    // The monitoring stream is never expired, however old.
    await db.sql`insert into events (trace_id, version, event_id, type, payload, occurred_at, recorded_at)
      values (${Buffer.from(MONITORING_STREAM_ID, "hex")}, 1, gen_random_uuid(), 'AlertRaised', '\\x00'::bytea, 0, ${BASE.toString()})`;
    await project();
    // Snapshots written by GetTrace reads, of an old trace and of the long one.
    now = BASE + 10n * DAY;
    const reader = createTraceReader(db.sql, { clock, cacheBytes: 1 << 20, snapshotEvery: 2, onError: (error) => { throw error; } });
    expect(await reader.read(old[0]!, { kind: "now" })).toBeDefined();
    expect(await reader.read(long, { kind: "now" })).toBeDefined();
    await reader.close();
    expect((await rows(old[0]!)).snapshots).toBeGreaterThan(0);
    const before = { long: await rows(long), fresh: await rows(fresh) };

    const pass = await retention().pass();

    expect(pass).toEqual({ traces: 3, events: old.length * wideTraceEvents(4).length, heldBackBy: undefined, busy: false });
    for (const id of old) expect(await rows(id)).toEqual({ events: 0, spans: 0, summaries: 0, snapshots: 0 });
    expect(await rows(long)).toEqual(before.long);
    expect(await rows(fresh)).toEqual(before.fresh);
    expect((await store.readStream(MONITORING_STREAM_ID)).length).toBe(1);
    // Nothing left to do.
    expect(await retention().pass()).toMatchObject({ traces: 0, events: 0 });
  });

  it("answers GetTrace of a deleted trace as not found, even from a replica that had it cached", async () => {
    const id = traceId(7);
    await append(id, wideTraceEvents(5, id), 0, BASE);
    // A subscriber's checkpoint is the place of the last event it read: that event stays.
    await append(traceId(6), wideTraceEvents(2, traceId(6)), 0, BASE + 8n * DAY);
    await project();
    const reader = createTraceReader(db.sql, { clock, cacheBytes: 1 << 20, snapshotEvery: 0, onError: () => undefined });
    expect(await reader.read(id, { kind: "now" })).toBeDefined();
    expect(await retention().pass()).toMatchObject({ traces: 1 });
    expect(await reader.read(id, { kind: "now" })).toBeUndefined();
    await reader.close();
  });

  it("keeps what a subscriber has not read: traces at or past the oldest checkpoint, everything while one it needs has none", async () => {
    const read = traceId(8);
    const unread = traceId(9);
    await append(read, wideTraceEvents(3, read), 0, BASE);
    await project();
    const listed = await checkpointOf(TRACE_LISTING_SUBSCRIBER);
    // The exporter read up to `read`'s last event; `unread` came after it (and the projector read it).
    await db.sql`insert into subscriber_checkpoints (subscriber_id, shard, tx_id, position, updated_at)
      values ('otlp-export', 0, ${listed.transactionId.toString()}::xid8, ${listed.position.toString()}, 0)`;
    await append(unread, wideTraceEvents(3, unread), 0, BASE);
    await project();
    now = BASE + 8n * DAY;

    // The monitoring saga runs here and has no checkpoint yet: nothing may go.
    expect(await retention([TRACE_LISTING_SUBSCRIBER, "monitoring-saga"]).pass()).toMatchObject({ traces: 0, heldBackBy: "monitoring-saga" });
    // The exporter's checkpoint is the oldest: it holds `unread` back, though this replica does
    // not export, and `read` too, as its last event is the checkpoint itself.
    expect(await retention().pass()).toMatchObject({ traces: 0, heldBackBy: "otlp-export" });
    expect((await rows(read)).events).toBeGreaterThan(0);
    await db.sql`update subscriber_checkpoints set position = position + 1 where subscriber_id = 'otlp-export'`;
    expect(await retention().pass()).toMatchObject({ traces: 1 });
    expect((await rows(read)).events).toBe(0);
    expect((await rows(unread)).events).toBeGreaterThan(0);
  });

  it("does not delete while an append to the table is under way (the pass ends busy), and an append after the delete finds the trace gone", async () => {
    const id = traceId(10);
    const events = wideTraceEvents(3, id);
    await append(id, events.slice(0, 3), 0, BASE);
    await project();
    now = BASE + 8n * DAY;
    // Another trace's append, not yet committed, holds the lock appends take.
    const append11 = await holdInAnotherSession((tx) => tx`insert into events (trace_id, version, event_id, type, payload, occurred_at, recorded_at)
        values (${Buffer.from(traceId(11), "hex")}, 1, gen_random_uuid(), 'Opaque', '\\x00'::bytea, 0, ${now.toString()})`);
    expect(await retention(undefined, { lockTimeoutMs: 200 }).pass()).toMatchObject({ traces: 0, busy: true });
    expect((await rows(id)).events).toBe(3);
    await append11.commit();
    await project();

    expect(await retention().pass()).toMatchObject({ traces: 1 });
    // A writer that read version 3 before the delete: its append no longer fits the trace.
    await expect(append(id, events.slice(3), 3, now)).rejects.toThrow(/version/i);
    expect((await rows(id)).events).toBe(0);
  });

  it("leaves the table to a vacuum: the pass ends busy within its lock timeout and tries again later", async () => {
    const id = traceId(12);
    await append(id, wideTraceEvents(3, id), 0, BASE);
    await append(traceId(13), wideTraceEvents(2, traceId(13)), 0, BASE + 8n * DAY);
    await project();
    // VACUUM holds SHARE UPDATE EXCLUSIVE for as long as it runs; this session stands for it.
    const vacuum = await holdInAnotherSession((tx) => tx`lock table events in share update exclusive mode`);
    const started = performance.now();
    expect(await retention(undefined, { lockTimeoutMs: 150 }).pass()).toMatchObject({ traces: 0, busy: true });
    expect(performance.now() - started).toBeLessThan(1000);
    await vacuum.commit();
    expect(await retention().pass()).toMatchObject({ traces: 1, busy: false });
  });

  it("does not warn on a quiet log: the event a checkpoint names is kept, and read", async () => {
    const id = traceId(30);
    await append(id, wideTraceEvents(3, id), 0, BASE);
    await project();
    now = BASE + 8n * DAY;
    expect(await retention().pass()).toEqual({ traces: 0, events: 0, heldBackBy: undefined, busy: false });
  });

  it("looks past events of a replica whose clock runs ahead, among older ones", async () => {
    const [first, ahead, second, third] = [traceId(31), traceId(32), traceId(33), traceId(34)];
    await append(first, wideTraceEvents(3, first), 0, BASE);
    await append(ahead, wideTraceEvents(3, ahead), 0, BASE + 30n * DAY);
    await append(second, wideTraceEvents(3, second), 0, BASE);
    await append(third, wideTraceEvents(3, third), 0, BASE);
    await append(traceId(35), wideTraceEvents(2, traceId(35)), 0, BASE + 8n * DAY);
    await project();
    now = BASE + 8n * DAY;
    const pass = await new TraceRetention({ sql: db.sql, retentionNs: 7n * DAY, subscribers: [TRACE_LISTING_SUBSCRIBER], clock, scanPage: 10 }).pass();
    expect(pass).toMatchObject({ traces: 3 });
    for (const id of [first, second, third]) expect((await rows(id)).events).toBe(0);
    expect((await rows(ahead)).events).toBeGreaterThan(0);
  });

  describe("a trace id used again after its trace was deleted (a span sent again, a reused id)", () => {
    /** What GetTrace must answer for the stream as it is now. */
    async function fullFold(id: string, events: readonly TraceEventCase[]): Promise<Uint8Array> {
      return toBinary(GetTraceResponseSchema, create(GetTraceResponseSchema, { trace: buildTraceView(id, events, now) }));
    }

    it("is read as the new stream by a replica that had the old one cached", async () => {
      const id = traceId(20);
      await append(id, wideTraceEvents(3, id), 0, BASE);
      await append(traceId(21), wideTraceEvents(2, traceId(21)), 0, BASE + 8n * DAY);
      await project();
      const cached = new TraceReader({ store: new PostgresViewStore(db.sql), clock, cache: new TraceViewCache(1 << 22) });
      expect(await cached.read(id, { kind: "now" })).toBeDefined();
      expect(await retention().pass()).toMatchObject({ traces: 1 });
      const again = wideTraceEvents(5, id);
      await append(id, again, 0, BASE + 8n * DAY);
      expect(Buffer.from((await cached.read(id, { kind: "now" }))!)).toEqual(Buffer.from(await fullFold(id, again)));
    });

    it("is not read through a snapshot of the old stream stored after the deletion", async () => {
      const id = traceId(22);
      const old = wideTraceEvents(3, id);
      await append(id, old, 0, BASE);
      await append(traceId(23), wideTraceEvents(2, traceId(23)), 0, BASE + 8n * DAY);
      await project();
      const views = new PostgresViewStore(db.sql);
      const [last] = await store.readStream(id, { afterVersion: old.length - 1 });
      expect(await retention().pass()).toMatchObject({ traces: 1 });
      // A read that raced the deletion stores its snapshot of the old stream after it.
      await views.save(id, { version: old.length, recordedAt: last!.recordedAt, view: toBinary(TraceSchema, buildTraceView(id, old, 0n)) });
      const again = wideTraceEvents(5, id);
      await append(id, again, 0, BASE + 8n * DAY);
      const fresh = new TraceReader({ store: views, clock });
      expect(Buffer.from((await fresh.read(id, { kind: "now" }))!)).toEqual(Buffer.from(await fullFold(id, again)));
    });

    it("stores a span sent again, though the command bus had the deleted trace cached", async () => {
      const id = traceId(24);
      const span = "00000000000000a1";
      const commands = [startSpan(span, { traceId: id, startTime: BASE }), endSpan(span, { traceId: id, endTime: BASE + 1000n })];
      const bus = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_SPAN_LIMITS });
      now = BASE;
      for (const command of commands) expect(await bus.submit(command)).toMatchObject({ ok: true });
      const stored = (await rows(id)).events;
      await append(traceId(25), wideTraceEvents(2, traceId(25)), 0, BASE + 8n * DAY);
      await project();
      expect(await retention().pass()).toMatchObject({ traces: 1 });
      // The re-send is acknowledged as before, and this time stored again.
      for (const command of commands) expect(await bus.submit(command)).toMatchObject({ ok: true });
      expect((await rows(id)).events).toBe(stored);
      await bus.close();
    });
    it("decides on the new stream, not on a cached state of the deleted one at the same version", async () => {
      const id = traceId(26);
      const [old, other] = ["00000000000000b1", "00000000000000b2"];
      const trust = { cacheTrustNs: 7n * DAY / 2n };
      const cached = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_SPAN_LIMITS, ...trust });
      now = BASE;
      expect(await cached.submit(startSpan(old, { traceId: id, startTime: BASE }))).toMatchObject({ ok: true });
      expect(await store.streamVersion(id)).toBe(2);
      await append(traceId(27), wideTraceEvents(2, traceId(27)), 0, BASE + 8n * DAY);
      await project();
      expect(await retention().pass()).toMatchObject({ traces: 1 });
      // Another replica begins the trace again: version 2 again, another span.
      const elsewhere = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_SPAN_LIMITS, ...trust });
      expect(await elsewhere.submit(startSpan(other, { traceId: id, startTime: now }))).toMatchObject({ ok: true });
      expect(await store.streamVersion(id)).toBe(2);
      // This replica's cached state (version 2, the old span) is not what the trace is now.
      expect(await cached.submit(endSpan(old, { traceId: id, endTime: now }))).toMatchObject({ ok: false, error: { reason: "SPAN_NOT_FOUND" } });
      expect(await cached.submit(endSpan(other, { traceId: id, endTime: now + 1000n }))).toMatchObject({ ok: true });
      expect((await store.readStream(id)).map((e) => e.type)).toEqual(["TraceStarted", "SpanStarted", "SpanEnded", "TraceCompleted"]);
      await cached.close();
      await elsewhere.close();
    });

    it("decides on the new stream on a replica without retention (which trusts its cache), though the new stream's last event is the old one's", async () => {
      const [root, oldChild, newChild, last, late] = ["00000000000000c1", "00000000000000c2", "00000000000000c3", "00000000000000c4", "00000000000000c5"];
      const child = (span: string, id: string, startTime: bigint) => startSpan(span, { traceId: id, parentSpanId: root, startTime });
      // The replica with retention off trusts its cached states however idle; the other has it on.
      const cached = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_SPAN_LIMITS });
      const elsewhere = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_SPAN_LIMITS, cacheTrustNs: 7n * DAY / 2n });
      // Two traces, one per check: a command that appends (the append's check), one that writes nothing (the answer's).
      const [appends, answers] = [traceId(28), traceId(29)];
      now = BASE;
      for (const id of [appends, answers]) {
        for (const command of [startSpan(root, { traceId: id, startTime: BASE, name: "old" }), child(oldChild, id, BASE + 1n), child(last, id, BASE + 2n)]) {
          expect(await cached.submit(command)).toMatchObject({ ok: true });
        }
      }
      const lastEventIds = await Promise.all([appends, answers].map(async (id) => (await store.readStream(id, { afterVersion: 3 }))[0]!.eventId));
      await append(traceId(36), wideTraceEvents(2, traceId(36)), 0, BASE + 8n * DAY);
      await project();
      expect(await retention().pass()).toMatchObject({ traces: 2 });
      // Begun again through the other replica up to the same version, with the very same last event.
      for (const id of [appends, answers]) {
        for (const command of [startSpan(root, { traceId: id, startTime: now, name: "new" }), child(newChild, id, BASE + 1n), child(last, id, BASE + 2n)]) {
          expect(await elsewhere.submit(command)).toMatchObject({ ok: true });
        }
        expect(await store.streamVersion(id)).toBe(4);
      }
      // The last events' ids are the old ones (they derive from what an event records): only their positions differ.
      expect(await Promise.all([appends, answers].map(async (id) => (await store.readStream(id, { afterVersion: 3 }))[0]!.eventId))).toEqual(lastEventIds);
      // The old parent is not in the trace now (DESIGN §4: a local parent must be).
      expect(await cached.submit(startSpan(late, { traceId: appends, parentSpanId: oldChild, startTime: now }))).toMatchObject({ ok: false, error: { reason: "PARENT_SPAN_NOT_FOUND" } });
      // The old root's start sent again names a span stored now with other content.
      expect(await cached.submit(startSpan(root, { traceId: answers, startTime: BASE, name: "old" }))).toMatchObject({
        ok: false,
        error: { kind: "already_exists", reason: "SPAN_ID_REUSED" },
      });
      expect((await store.readStream(appends)).length).toBe(4);
      await cached.close();
      await elsewhere.close();
    });
  });
});
