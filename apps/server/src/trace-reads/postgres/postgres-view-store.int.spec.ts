// The view store takes in a long tail of events in rows of 1,024 (so that no single
// value of a big trace holds the event loop while postgres.js parses it) and inflates
// big snapshots off the loop: checked here against the events table itself, cut by
// version and by time in the middle of a row, and through the reader against the
// full fold.

import { randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { eventIdentity } from "../../domain/trace/trace-event.js";
import { bytesToHex } from "../../domain/trace/w3c-ids.js";
import { PostgresEventStore } from "../../event-store/postgres/postgres-event-store.js";
import { deriveEventId } from "../../events/event-id.js";
import { encodeTraceEvent, occurredAt } from "../../events/trace-event-codec.js";
import { buildTraceView } from "../../projections/testing/build-trace-view.js";
import { SnapshotWriter } from "../snapshot-writer.js";
import { wideTraceEvents } from "../testing/wide-trace.js";
import { TraceReader } from "../trace-reader.js";
import type { ViewSources } from "../view-store.js";
import { PostgresViewStore } from "./postgres-view-store.js";

const SEC = 1_000_000_000n;
const BASE = 1_764_000_000n * SEC;
const NOW = BASE + 86_400n * SEC;
const TRACE_ID = "00000000000000000000000000007a01";
const events = wideTraceEvents(1300, TRACE_ID);
/** Appends of 100 events, one second apart: versions 1-100 recorded at BASE + 1 s, and so on. */
const PER_APPEND = 100;
const recordedAtOf = (version: number) => BASE + BigInt(Math.ceil(version / PER_APPEND)) * SEC;

let db: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  let ticks = 0n;
  store = new PostgresEventStore(db.sql, { clock: () => BASE + ++ticks * SEC });
  for (let from = 0; from < events.length; from += PER_APPEND) {
    await store.append({
      streamId: TRACE_ID,
      expectedVersion: from,
      events: events.slice(from, from + PER_APPEND).map((event) => ({ eventId: deriveEventId(TRACE_ID, eventIdentity(event, bytesToHex)), ...encodeTraceEvent(event), occurredAt: occurredAt(event) })),
    });
  }
});

afterAll(async () => {
  await db?.drop();
});

/** The events as the store's own read returns them: versions after..to. */
async function stored(after: number, to: number) {
  return (await store.readStream(TRACE_ID, { afterVersion: after, toVersion: to })).map((e) => ({ version: e.version, recordedAt: e.recordedAt, type: e.type, payload: Buffer.from(e.payload).toString("hex") }));
}

const shown = (sources: ViewSources) => sources.events.map((e) => ({ version: e.version, recordedAt: e.recordedAt, type: e.type, payload: Buffer.from(e.payload).toString("hex") }));

function expected(version: number, at: bigint): Uint8Array {
  return toBinary(GetTraceResponseSchema, create(GetTraceResponseSchema, { trace: buildTraceView(TRACE_ID, events.slice(0, version), at) }));
}

describe("PostgresViewStore on a trace longer than a row of events", () => {
  it("takes in every event after a version, up to a version or a time in the middle of a row", async () => {
    expect(events.length).toBeGreaterThan(2 * 1024);
    const views = new PostgresViewStore(db.sql);
    const all = await views.load({ traceId: TRACE_ID, after: 0 });
    expect(all.head).toBe(events.length);
    expect(all.snapshot).toBeUndefined();
    expect(shown(all)).toEqual(await stored(0, events.length));
    expect(all.events[1500]!.recordedAt).toBe(recordedAtOf(1501));

    const range = await views.load({ traceId: TRACE_ID, after: 300, toVersion: 2100 });
    expect(shown(range)).toEqual(await stored(300, 2100));

    // Recorded by the append of versions 1701-1800: every event up to 1800, across two rows.
    const until = await views.load({ traceId: TRACE_ID, after: 700, recordedAtOrBefore: recordedAtOf(1750) });
    expect(until.head).toBe(events.length);
    expect(shown(until)).toEqual(await stored(700, 1800));

    expect((await views.load({ traceId: TRACE_ID, after: events.length })).events).toEqual([]);
    expect(await views.load({ traceId: "00000000000000000000000000007a02", after: 0 })).toEqual({ head: 0, snapshot: undefined, events: [] });
  });

  it("refuses a tail with a version missing, at a row's start too", async () => {
    const traceId = "00000000000000000000000000007a03";
    const other = wideTraceEvents(500, traceId);
    await store.append({
      streamId: traceId,
      expectedVersion: 0,
      events: other.map((event) => ({ eventId: deriveEventId(traceId, eventIdentity(event, bytesToHex)), ...encodeTraceEvent(event), occurredAt: occurredAt(event) })),
    });
    const views = new PostgresViewStore(db.sql);
    expect((await views.load({ traceId, after: 0 })).events).toHaveLength(other.length);
    // The first version of the second row: each row is whole, but they do not meet.
    await db.sql`delete from events where trace_id = ${Buffer.from(traceId, "hex")} and version = 1025`;
    await expect(views.load({ traceId, after: 0 })).rejects.toThrow(`trace ${traceId}: versions 1..${other.length} hold ${other.length - 1} events`);
  });

  it("gives back a small and a big stored view (inflated inline and off the loop) with the events after them", async () => {
    const views = new PostgresViewStore(db.sql);
    const small = randomBytes(2000);
    // Random bytes do not compress: stored larger than the 64 KiB inflated inline.
    const big = randomBytes(300_000);
    await views.save(TRACE_ID, { version: 64, recordedAt: recordedAtOf(64), view: small });
    await views.save(TRACE_ID, { version: 1200, recordedAt: recordedAtOf(1200), view: big });
    try {
      const early = await views.load({ traceId: TRACE_ID, after: 0, toVersion: 1100 });
      expect(early.snapshot).toEqual({ version: 64, recordedAt: recordedAtOf(64), view: new Uint8Array(small) });
      expect(shown(early)).toEqual(await stored(64, 1100));

      const late = await views.load({ traceId: TRACE_ID, after: 100 });
      expect(late.snapshot?.version).toBe(1200);
      expect(Buffer.compare(Buffer.from(late.snapshot!.view), big)).toBe(0);
      expect(shown(late)).toEqual(await stored(1200, events.length));
    } finally {
      await db.sql`delete from trace_view_snapshots where trace_id = ${Buffer.from(TRACE_ID, "hex")}`;
    }
  });

  it("answers from scratch and from the snapshots it wrote as the full fold does", async () => {
    const views = new PostgresViewStore(db.sql);
    const writer = new SnapshotWriter(views, { onError: (error) => expect.fail(String(error)) });
    try {
      const first = new TraceReader({ store: views, clock: () => NOW, snapshots: writer, snapshotEvery: 128 });
      expect(await first.read(TRACE_ID, { kind: "now" })).toEqual(expected(events.length, NOW));
      await writer.idle();
      const reader = new TraceReader({ store: views, clock: () => NOW, snapshotEvery: 128 });
      for (const version of [1, 1023, 1024, 1025, 2049, events.length - 1]) {
        expect(await reader.read(TRACE_ID, { kind: "version", version }), `version ${version}`).toEqual(expected(version, recordedAtOf(version)));
      }
      expect(await reader.read(TRACE_ID, { kind: "time", at: recordedAtOf(1750) })).toEqual(expected(1800, recordedAtOf(1750)));
    } finally {
      await writer.close();
      await db.sql`delete from trace_view_snapshots where trace_id = ${Buffer.from(TRACE_ID, "hex")}`;
    }
  }, 60_000);
});
