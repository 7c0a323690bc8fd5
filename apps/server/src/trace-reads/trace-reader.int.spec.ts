import { create, toBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema, TraceSchema } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { eventIdentity, type TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { PostgresEventStore } from "../event-store/postgres/postgres-event-store.js";
import { deriveEventId } from "../events/event-id.js";
import { encodeTraceEvent, occurredAt } from "../events/trace-event-codec.js";
import { buildTraceView } from "../projections/testing/build-trace-view.js";
import { PostgresViewStore } from "./postgres/postgres-view-store.js";
import { SnapshotWriter } from "./snapshot-writer.js";
import { randomTraceEvents } from "./testing/random-trace.js";
import { TraceReader, type TraceMoment } from "./trace-reader.js";
import { TraceViewCache } from "./trace-view-cache.js";
import { VIEW_FORMAT } from "./view-format.js";

const SEC = 1_000_000_000n;
const BASE = 1_764_000_000n * SEC;
const NOW = BASE + 86_400n * SEC;

let db: TestDatabase;
let ticks = 0n;
/** The store's clock: one second per append, so every version has its own recorded time. */
const storeClock = () => BASE + ++ticks * SEC;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

let traceCounter = 0x7000;
function newTraceId(): string {
  return (traceCounter++).toString(16).padStart(32, "0");
}

/** Appends the events one append at a time; returns each version's recorded time (index = version). */
async function appendAll(store: PostgresEventStore, traceId: string, events: readonly TraceEventCase[], from = 0): Promise<bigint[]> {
  const recorded: bigint[] = [0n];
  for (let i = from; i < events.length; i++) {
    const event = events[i]!;
    await store.append({
      streamId: traceId,
      expectedVersion: i,
      events: [{ eventId: deriveEventId(traceId, eventIdentity(event, bytesToHex)), ...encodeTraceEvent(event), occurredAt: occurredAt(event) }],
    });
    const [stored] = await store.readStream(traceId, { afterVersion: i, toVersion: i + 1 });
    recorded[i + 1] = stored!.recordedAt;
  }
  return recorded;
}

function expected(traceId: string, events: readonly TraceEventCase[], version: number, at: bigint): Uint8Array {
  return toBinary(GetTraceResponseSchema, create(GetTraceResponseSchema, { trace: buildTraceView(traceId, events.slice(0, version), at) }));
}

function readers(options: { every?: number; cache?: boolean } = {}) {
  const viewStore = new PostgresViewStore(db.sql);
  const snapshots = new SnapshotWriter(viewStore, { onError: (error) => expect.fail(String(error)) });
  const reader = new TraceReader({
    store: viewStore,
    clock: () => NOW,
    cache: options.cache === false ? undefined : new TraceViewCache(64 * 1024 * 1024),
    snapshots,
    snapshotEvery: options.every ?? 16,
  });
  return { reader, snapshots, viewStore };
}

async function snapshotVersions(traceId: string): Promise<number[]> {
  const rows = await db.sql<{ version: number }[]>`
    select version from trace_view_snapshots where trace_id = ${Buffer.from(traceId, "hex")} and format = ${VIEW_FORMAT} order by version`;
  return rows.map((r) => r.version);
}

describe("TraceReader on PostgreSQL", () => {
  it("answers every version, from snapshots it wrote on the way, as the full fold does", async () => {
    const traceId = newTraceId();
    const events = randomTraceEvents(21, 90, traceId);
    const recorded = await appendAll(new PostgresEventStore(db.sql, { clock: storeClock }), traceId, events);
    const { reader, snapshots } = readers({ every: 16, cache: false });

    // The first read folds everything and offers a snapshot at each multiple of 16 and at the (completed) end.
    expect(await reader.read(traceId, { kind: "now" })).toEqual(expected(traceId, events, events.length, NOW));
    await snapshots.idle();
    const stored = await snapshotVersions(traceId);
    const multiples = Array.from({ length: Math.floor(events.length / 16) }, (_, i) => (i + 1) * 16);
    expect(stored).toEqual(events.length % 16 === 0 ? multiples : [...multiples, events.length]);

    for (let version = 1; version <= events.length + 2; version++) {
      const shown = Math.min(version, events.length);
      expect(await reader.read(traceId, { kind: "version", version }), `version ${version}`).toEqual(expected(traceId, events, shown, recorded[shown]!));
    }
    expect(await reader.read(traceId, { kind: "version", version: 0 })).toBeUndefined();
    await snapshots.idle();
  });

  it("answers as of a time with everything recorded until then, running spans measured to it", async () => {
    const traceId = newTraceId();
    const events = randomTraceEvents(22, 60, traceId);
    const recorded = await appendAll(new PostgresEventStore(db.sql, { clock: storeClock }), traceId, events);
    const { reader, snapshots } = readers({ every: 8 });
    await reader.read(traceId, { kind: "now" });
    await snapshots.idle();

    for (let version = 1; version <= events.length; version++) {
      await snapshots.idle();
      for (const at of [recorded[version]!, recorded[version]! + SEC / 2n]) {
        const moment: TraceMoment = { kind: "time", at };
        expect(await reader.read(traceId, moment), `time of version ${version}`).toEqual(expected(traceId, events, version, at));
      }
    }
    expect(await reader.read(traceId, { kind: "time", at: recorded[1]! - 1n })).toBeUndefined();
  });

  it("reads a version past an open trace's as the trace as it is: running spans measured to now", async () => {
    const traceId = newTraceId();
    const events = randomTraceEvents(23, 40, traceId).filter((e) => e.case !== "traceCompleted" && e.case !== "spanEnded" && e.case !== "spanOrphaned");
    const recorded = await appendAll(new PostgresEventStore(db.sql, { clock: storeClock }), traceId, events);
    const { reader, snapshots } = readers({ every: 8 });
    const head = events.length;
    expect(await reader.read(traceId, { kind: "version", version: head })).toEqual(expected(traceId, events, head, recorded[head]!));
    for (const version of [head + 1, 2 ** 31 - 1]) {
      expect(await reader.read(traceId, { kind: "version", version }), `version ${version}`).toEqual(expected(traceId, events, head, NOW));
    }
    await snapshots.idle();
  });

  it("sees events another replica appended after this one cached the trace", async () => {
    const traceId = newTraceId();
    const events = randomTraceEvents(23, 70, traceId);
    const half = Math.floor(events.length / 2);
    await appendAll(new PostgresEventStore(db.sql, { clock: storeClock }), traceId, events.slice(0, half));
    const { reader, snapshots } = readers({ every: 16 });
    expect(await reader.read(traceId, { kind: "now" })).toEqual(expected(traceId, events, half, NOW));
    expect(await reader.read(traceId, { kind: "now" })).toEqual(expected(traceId, events, half, NOW));

    // The other replica: its own connection pool and event store.
    const other = db.client(2);
    const recorded = await appendAll(new PostgresEventStore(other, { clock: storeClock }), traceId, events, half);
    expect(await reader.read(traceId, { kind: "now" })).toEqual(expected(traceId, events, events.length, NOW));
    expect(await reader.read(traceId, { kind: "version", version: half + 3 })).toEqual(expected(traceId, events, half + 3, recorded[half + 3]!));
    await snapshots.idle();
  });

  it("starts from a stored snapshot, and ignores snapshots of another format", async () => {
    const traceId = newTraceId();
    const events = randomTraceEvents(24, 40, traceId);
    await appendAll(new PostgresEventStore(db.sql, { clock: storeClock }), traceId, events);
    const version = events.length - 5;
    const viewStore = new PostgresViewStore(db.sql);
    // A snapshot that says something else than the events: whoever reads past it shows it.
    const other = randomTraceEvents(99, 40, traceId);
    const { reader } = readers({ every: 1_000_000, cache: false });
    const otherTrace = buildTraceView(traceId, other.slice(0, version), 0n);
    // A snapshot carries the time of the event at its version (one with another time is of another stream).
    const [stored] = await new PostgresEventStore(db.sql).readStream(traceId, { afterVersion: version - 1, toVersion: version });
    await viewStore.save(traceId, { version, recordedAt: stored!.recordedAt, view: toBinary(TraceSchema, otherTrace) });
    const viaSnapshot = await reader.read(traceId, { kind: "version", version });
    expect(viaSnapshot).toEqual(toBinary(GetTraceResponseSchema, create(GetTraceResponseSchema, { trace: buildTraceView(traceId, other.slice(0, version), stored!.recordedAt) })));

    // The same row under another format: not used.
    await db.sql`update trace_view_snapshots set format = ${VIEW_FORMAT + 1} where trace_id = ${Buffer.from(traceId, "hex")}`;
    expect(await reader.read(traceId, { kind: "version", version })).toEqual(expected(traceId, events, version, stored!.recordedAt));
  });

  it("drops what it cached when the stream is no longer the one it folded, and never shows a snapshot past it", async () => {
    const traceId = newTraceId();
    const events = randomTraceEvents(25, 30, traceId);
    await appendAll(new PostgresEventStore(db.sql, { clock: storeClock }), traceId, events);
    const { reader, snapshots } = readers();
    expect(await reader.read(traceId, { kind: "now" })).toBeDefined();
    await snapshots.idle();
    const id = Buffer.from(traceId, "hex");
    const [stored] = await db.sql<{ version: number; view: Buffer }[]>`select version, view from trace_view_snapshots where trace_id = ${id} order by version desc limit 1`;
    await db.sql`delete from events where trace_id = ${id}`;
    await db.sql`delete from trace_view_snapshots where trace_id = ${id}`;
    expect(await reader.read(traceId, { kind: "now" })).toBeUndefined();

    // A snapshot written late, after its events were deleted; then the stream starts again, shorter.
    await db.sql`insert into trace_view_snapshots (trace_id, version, format, recorded_at, view) values (${id}, ${stored!.version}, ${VIEW_FORMAT}, 0, ${stored!.view})`;
    expect(await reader.read(traceId, { kind: "now" })).toBeUndefined();
    await appendAll(new PostgresEventStore(db.sql, { clock: storeClock }), traceId, events.slice(0, 5));
    expect(await reader.read(traceId, { kind: "now" })).toEqual(expected(traceId, events, 5, NOW));
    // Past the stream's version: the trace as it is (5 events), not the snapshot.
    expect(await reader.read(traceId, { kind: "version", version: stored!.version })).toEqual(expected(traceId, events, 5, NOW));
  });
});
