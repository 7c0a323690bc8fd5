// The event store's global read (readAll), drained from the start of the log to its end,
// in the page sizes its readers use: 5,000 (the ListTraces projector, the monitoring saga),
// 1,000 (the OTLP export's leased subscriber) and 500 (the leased subscriber's default).
//
//   npx tsx tools/bench/read-all.ts [--quick] [--events=N] [--rounds=N] [--pages=5000,1000,500]
//
// The log is filled through EventStore.appendMany with the events the server stores for the
// ingest workload (support/pg-ceiling.ts: TraceStarted, SpanStarted, SpanEnded,
// TraceCompleted; 12 per trace, encoded by the server's own code), 4 batches in flight, so
// that pages cross many streams and transactions. About 200,000 events by default (40,000 with --quick).
//
// Each round drains the whole log once per page size with PostgresEventStore.readAll, and once
// with the reference: the same statement returning one row per event, turned into StoredEvents
// as readAll did before it framed its page into one value. Every event is touched (its payload
// length and version summed), as a reader would. Reported: events/s, and the CPU per event of
// this process (process.cpuUsage: the client, postgres.js, GC) and of the embedded PostgreSQL's
// processes (from /proc; NaN with DATABASE_URL). Medians over the rounds (default 3; 2 with
// --quick). CPU per event is the figure to compare on a shared machine; events/s moves with load.

import { randomUUID } from "node:crypto";
import { createPostgresClient, type Sql } from "../../apps/server/src/database/open-database.js";
import {
  type AppendRequest,
  type GlobalCheckpoint,
  type ReadAllResult,
  START_OF_LOG,
  type StoredEvent,
} from "../../apps/server/src/event-store/event-store.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { machineLine, openBenchDatabase, postgresSettingsLine, processTreeCpuSeconds } from "./support/bench-env.js";
import { ceilingWorkload, type CeilingRow } from "./support/pg-ceiling.js";
import { median } from "./support/stats.js";
import { TRACES_PER_BATCH } from "./support/ingest-workload.js";

const quick = process.argv.includes("--quick");
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const targetEvents = Number(arg("events") ?? (quick ? 40_000 : 200_000));
const rounds = Number(arg("rounds") ?? (quick ? 2 : 3));
const pageSizes = (arg("pages") ?? "5000,1000,500").split(",").map(Number);
const LANES = 4;

type Reader = (checkpoint: GlobalCheckpoint, limit: number) => Promise<ReadAllResult>;

interface Figure {
  events: number;
  seconds: number;
  nodeSeconds: number;
  postgresSeconds: number;
}

/** Reads from the start of the log until a page comes back empty; touches every event. */
async function drain(read: Reader, pageSize: number, expected: number, postmasterPid: number | undefined): Promise<Figure> {
  const pgBefore = await processTreeCpuSeconds(postmasterPid);
  const cpu = process.cpuUsage();
  const start = performance.now();
  let checkpoint = START_OF_LOG;
  let events = 0;
  let touched = 0;
  for (;;) {
    const page = await read(checkpoint, pageSize);
    if (page.events.length === 0) break;
    for (const event of page.events) touched += event.payload.length + event.version;
    events += page.events.length;
    checkpoint = page.checkpoint;
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const pgAfter = await processTreeCpuSeconds(postmasterPid);
  if (events !== expected || touched === 0) throw new Error(`read ${events} events, expected ${expected}`);
  return { events, seconds, nodeSeconds: (used.user + used.system) / 1e6, postgresSeconds: pgAfter - pgBefore };
}

/** The same read, one row per event: readAll as it was before it framed the page (the reference). */
function rowsReader(sql: Sql): Reader {
  interface Row {
    trace_id: Buffer;
    version: number;
    event_id: string;
    type: string;
    payload: Buffer;
    occurred_at: bigint;
    recorded_at: bigint;
    position: bigint;
    tx: string;
  }
  return async (checkpoint, limit) => {
    const rows = await sql<Row[]>`
      select trace_id, version, event_id, type, payload, occurred_at, recorded_at, position, tx_id::text as tx
      from events e
      where (e.tx_id, e.position) > (${checkpoint.transactionId.toString()}::xid8, ${checkpoint.position.toString()}::int8)
        and e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
      order by e.tx_id, e.position
      limit ${limit}`;
    const events: StoredEvent[] = rows.map((row) => ({
      streamId: row.trace_id.toString("hex"),
      version: row.version,
      eventId: row.event_id,
      type: row.type,
      payload: new Uint8Array(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength),
      occurredAt: row.occurred_at,
      recordedAt: row.recorded_at,
      position: row.position,
    }));
    const last = rows[rows.length - 1];
    return { events, checkpoint: last ? { transactionId: BigInt(last.tx), position: last.position } : checkpoint };
  };
}

/** Fills the log through appendMany: per lane, batches of new traces' starts and the previous batch's ends. */
async function fill(store: PostgresEventStore, events: number): Promise<number> {
  const perBatch = TRACES_PER_BATCH * 12;
  const batchesPerLane = Math.max(1, Math.round(events / perBatch / LANES));
  const work = ceilingWorkload(LANES, batchesPerLane, 1_764_000_000_000_000_000n);
  let stored = 0;
  await Promise.all(
    work.map(async (lane) => {
      for (const rows of lane) {
        const byTrace = new Map<string, CeilingRow[]>();
        for (const row of rows) {
          const id = row.traceId.toString("hex");
          const list = byTrace.get(id) ?? [];
          list.push(row);
          byTrace.set(id, list);
        }
        const requests: AppendRequest[] = [...byTrace].map(([streamId, list]) => ({
          streamId,
          expectedVersion: list[0]!.version === 1 ? "no_stream" : list[0]!.version - 1,
          events: list.map((r) => ({ eventId: randomUUID(), type: r.type, payload: r.payload, occurredAt: r.occurredAt })),
        }));
        for (const result of await store.appendMany(requests)) if (result instanceof Error) throw result;
        stored += rows.length;
      }
    }),
  );
  return stored;
}

const us = (seconds: number, events: number) => (Number.isFinite(seconds) ? ((seconds / events) * 1e6).toFixed(2) : "n/a");
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  const db = await openBenchDatabase("tl_bench_read_all");
  const sql = createPostgresClient(db.url, { max: LANES, applicationName: "traceledger-bench" });
  try {
    await migrate(sql);
    console.log(machineLine());
    console.log(await postgresSettingsLine(sql, db.kind));
    const store = new PostgresEventStore(sql);
    const fillStart = performance.now();
    const total = await fill(store, targetEvents);
    const [sizes] = await sql<{ mean: number; streams: number; txs: number }[]>`
      select avg(octet_length(payload))::float8 as mean, count(distinct trace_id)::int4 as streams, count(distinct tx_id::text)::int4 as txs from events`;
    console.log(
      `filled ${fmt(total)} events (${fmt(sizes!.streams)} streams, ${fmt(sizes!.txs)} transactions, mean payload ${Math.round(sizes!.mean)} bytes) in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`,
    );
    // Hint bits and the visibility map set once, as on a log that has been read before.
    await sql`vacuum analyze events`;
    const readers: Array<[string, Reader]> = [
      ["readAll", (c, l) => store.readAll(c, l)],
      ["rows (reference)", rowsReader(sql)],
    ];
    for (const [, read] of readers) await drain(read, 5000, total, undefined); // warm-up
    const results = new Map<string, Figure[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const pageSize of pageSizes) {
        for (const [name, read] of readers) {
          const key = `${name}, pages of ${pageSize}`;
          const figure = await drain(read, pageSize, total, db.postmasterPid);
          results.set(key, [...(results.get(key) ?? []), figure]);
        }
      }
    }
    console.log(`\nmedians over ${rounds} rounds; CPU per event: this process (client) and PostgreSQL's processes`);
    for (const [key, figures] of results) {
      const rate = median(figures.map((f) => f.events / f.seconds));
      const node = median(figures.map((f) => f.nodeSeconds / f.events));
      const pg = median(figures.map((f) => f.postgresSeconds / f.events));
      console.log(`  ${key.padEnd(32)} ${fmt(rate).padStart(9)} events/s   node ${us(node, 1).padStart(6)} us   postgres ${us(pg, 1).padStart(6)} us per event`);
    }
  } finally {
    await sql.end({ timeout: 5 });
    await db.close();
  }
}

await main();
