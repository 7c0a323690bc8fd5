// Event store append throughput, against a raw PostgreSQL ceiling measured in the same run.
//
//   npx tsx tools/bench/append-throughput.ts [--quick] [--json]
//
// Uses DATABASE_URL if set (it needs CREATE DATABASE), else an embedded PostgreSQL in a
// throwaway folder with default (durable) settings: fsync on, synchronous_commit on.
// See tools/bench/README.md for what each figure means.

import { randomBytes, randomUUID } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { SpanKind, SpanStartedSchema } from "@traceledger/proto";
import postgres from "postgres";
import { randomDatabaseName, startEmbeddedDatabase } from "../../apps/server/src/database/embedded-database.js";
import { createPostgresClient, escapeIdentifier, type Sql } from "../../apps/server/src/database/open-database.js";
import type { AppendRequest, NewEvent } from "../../apps/server/src/event-store/event-store.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { byteaArray, int4Array, int8Array, textArrayLiteral, uuidArray } from "../../apps/server/src/event-store/postgres/sql-arrays.js";

const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");

// ---------------------------------------------------------------- workload

const STREAMS_PER_BATCH = 1000;
const LANES = 4; // batches in flight, and connections, for the ceiling and group commit
const TRACE_LENGTH = 5; // a lane starts new streams every TRACE_LENGTH batches
const BATCHES_PER_LANE = quick ? 8 : 30;

/** A realistic SpanStarted: W3C ids, a route name, a few attributes. */
function spanStartedPayload(traceId: Buffer, k: number): Uint8Array {
  const str = (value: string) => ({ value: { case: "stringValue" as const, value } });
  return toBinary(
    SpanStartedSchema,
    create(SpanStartedSchema, {
      traceId,
      spanId: randomBytes(8),
      parentSpanId: k % 4 === 0 ? new Uint8Array(0) : randomBytes(8),
      name: ["GET /orders/{id}", "POST /checkout", "SELECT orders", "publish order.created"][k % 4]!,
      kind: [SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL, SpanKind.PRODUCER][k % 4]!,
      serviceName: ["checkout", "orders", "payments"][k % 3]!,
      startTimeUnixNano: 1_764_000_000_000_000_000n + BigInt(k) * 1000n,
      flags: 1,
      scopeName: "@opentelemetry/instrumentation-http",
      attributes: [
        { key: "http.request.method", value: str("GET") },
        { key: "url.path", value: str(`/orders/${100000 + (k % 90000)}`) },
        { key: "http.response.status_code", value: { value: { case: "intValue" as const, value: 200n } } },
        { key: "server.address", value: str("orders.internal") },
      ],
      resourceAttributes: [
        { key: "service.version", value: str("1.4.2") },
        { key: "deployment.environment.name", value: str("production") },
      ],
    }),
  );
}

interface Row {
  traceId: Buffer;
  streamId: string;
  version: number;
  event: NewEvent;
}

/** LANES x batches of STREAMS_PER_BATCH rows, one event per stream per batch. */
function makeWorkload(batchesPerLane: number): Row[][][] {
  let k = 0;
  return Array.from({ length: LANES }, () => {
    let streams: Buffer[] = [];
    return Array.from({ length: batchesPerLane }, (_, b) => {
      if (b % TRACE_LENGTH === 0) streams = Array.from({ length: STREAMS_PER_BATCH }, () => randomBytes(16));
      return streams.map((traceId) => {
        k++;
        return {
          traceId,
          streamId: traceId.toString("hex"),
          version: (b % TRACE_LENGTH) + 1,
          event: { eventId: randomUUID(), type: "SpanStarted", payload: spanStartedPayload(traceId, k), occurredAt: 1_764_000_000_000_000_000n + BigInt(k) },
        };
      });
    });
  });
}

// ---------------------------------------------------------------- measuring

interface Figure {
  name: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Node's CPU (user + system) per second of wall time, in cores. */
  nodeCores: number;
}

async function measure(name: string, events: number, run: () => Promise<void>): Promise<Figure> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const figure = {
    name,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    nodeCores: (used.user + used.system) / 1e6 / seconds,
  };
  if (!json) console.log(`  ${name.padEnd(58)} ${fmt(figure.eventsPerSecond).padStart(8)} events/s   (node ${figure.nodeCores.toFixed(2)} cores)`);
  return figure;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Runs `lanes` sequential loops concurrently. */
async function lanes<T>(work: readonly T[][], each: (item: T) => Promise<unknown>): Promise<void> {
  await Promise.all(work.map(async (items) => {
    for (const item of items) await each(item);
  }));
}

// ---------------------------------------------------------------- the ceiling

const CEILING_COLUMNS = "trace_id, version, event_id, type, payload, occurred_at, recorded_at";

async function freshCeilingTable(sql: Sql): Promise<void> {
  // The same columns, defaults, constraints and indexes as `events`; no streams, no checks.
  await sql.unsafe(`drop table if exists ceiling_events; create table ceiling_events (like events including all)`);
  await sql`checkpoint`;
}

async function unnestInsert(sql: Sql, rows: readonly Row[], now: bigint): Promise<void> {
  await sql.unsafe(
    `insert into ceiling_events (${CEILING_COLUMNS})
     select * from unnest($1::bytea[], $2::int4[], $3::uuid[], $4::text[], $5::bytea[], $6::int8[], $7::int8[])`,
    [
      byteaArray(rows.map((r) => r.traceId)),
      int4Array(rows.map((r) => r.version)),
      uuidArray(rows.map((r) => r.event.eventId)),
      textArrayLiteral(rows.map((r) => r.event.type)),
      byteaArray(rows.map((r) => r.event.payload)),
      int8Array(rows.map((r) => r.event.occurredAt)),
      int8Array(rows.map(() => now)),
    ],
    { prepare: true },
  );
}

/** PostgreSQL's binary COPY format for the ceiling table's columns. */
function copyBinary(rows: readonly Row[], now: bigint): Buffer {
  const typeBytes = Buffer.from("SpanStarted");
  let size = 19 + 2;
  for (const r of rows) size += 2 + (4 + 16) + (4 + 4) + (4 + 16) + (4 + typeBytes.length) + (4 + r.event.payload.length) + (4 + 8) * 2;
  const out = Buffer.allocUnsafe(size);
  let o = out.write("PGCOPY\n\xff\r\n\0", 0, "latin1");
  o = out.writeInt32BE(0, o);
  o = out.writeInt32BE(0, o);
  for (const r of rows) {
    o = out.writeInt16BE(7, o);
    o = out.writeInt32BE(16, o);
    o += r.traceId.copy(out, o);
    o = out.writeInt32BE(4, o);
    o = out.writeInt32BE(r.version, o);
    o = out.writeInt32BE(16, o);
    o += Buffer.from(r.event.eventId.replace(/-/g, ""), "hex").copy(out, o);
    o = out.writeInt32BE(typeBytes.length, o);
    o += typeBytes.copy(out, o);
    o = out.writeInt32BE(r.event.payload.length, o);
    out.set(r.event.payload, o);
    o += r.event.payload.length;
    o = out.writeInt32BE(8, o);
    o = out.writeBigInt64BE(r.event.occurredAt, o);
    o = out.writeInt32BE(8, o);
    o = out.writeBigInt64BE(now, o);
  }
  o = out.writeInt16BE(-1, o);
  return out.subarray(0, o);
}

async function copyInsert(sql: postgres.ReservedSql, rows: readonly Row[], now: bigint): Promise<void> {
  const writable = await sql.unsafe(`copy ceiling_events (${CEILING_COLUMNS}) from stdin (format binary)`).writable();
  await pipeline(Readable.from([copyBinary(rows, now)]), writable);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const external = process.env["DATABASE_URL"];
  let folder: string | undefined;
  let stopEmbedded = async () => {};
  let adminUrl: string;
  if (external) {
    adminUrl = external;
  } else {
    folder = await mkdtemp(path.join(tmpdir(), "traceledger-bench-"));
    await chmod(folder, 0o755);
    const embedded = await startEmbeddedDatabase({ dataDir: path.join(folder, "data") });
    adminUrl = embedded.url();
    stopEmbedded = () => embedded.stop();
  }
  const name = randomDatabaseName("tl_bench");
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${escapeIdentifier(name)}`);
  const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  const sql = createPostgresClient(url, { max: LANES, applicationName: "traceledger-bench" });
  const figures: Figure[] = [];
  try {
    await migrate(sql);
    const [settings] = await sql<{ version: string; fsync: string; synchronous_commit: string; shared_buffers: string }[]>`
      select current_setting('server_version') as version, current_setting('fsync') as fsync,
             current_setting('synchronous_commit') as synchronous_commit, current_setting('shared_buffers') as shared_buffers`;
    const work = makeWorkload(BATCHES_PER_LANE);
    const warm = makeWorkload(1);
    const total = LANES * BATCHES_PER_LANE * STREAMS_PER_BATCH;
    const payloadSizes = work.flat(2).map((r) => r.event.payload.length);
    const meanPayload = payloadSizes.reduce((a, b) => a + b, 0) / payloadSizes.length;
    if (!json) {
      console.log(`PostgreSQL ${settings!.version} (${external ? "DATABASE_URL" : "embedded"}), fsync=${settings!.fsync}, synchronous_commit=${settings!.synchronous_commit}, shared_buffers=${settings!.shared_buffers}`);
      console.log(`Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB`);
      console.log(`payload: SpanStarted, ${Math.min(...payloadSizes)}-${Math.max(...payloadSizes)} bytes (mean ${Math.round(meanPayload)}); ${fmt(total)} events per scenario`);
      console.log();
    }
    const now = 1_764_000_000_000_000_000n;

    // (a) The ceiling: identical rows into an identical bare table, LANES connections.
    if (!json) console.log(`(a) raw ceiling, ${STREAMS_PER_BATCH}-row batches, ${LANES} connections`);
    await freshCeilingTable(sql);
    await lanes(warm, (rows) => unnestInsert(sql, rows, now));
    await freshCeilingTable(sql);
    const unnest = await measure("multi-row insert (unnest)", total, () => lanes(work, (rows) => unnestInsert(sql, rows, now)));
    figures.push(unnest);
    await freshCeilingTable(sql);
    const reserved = await Promise.all(Array.from({ length: LANES }, () => sql.reserve()));
    await Promise.all(warm.map(async (batches, i) => { for (const rows of batches) await copyInsert(reserved[i]!, rows, now); }));
    await freshCeilingTable(sql);
    const copy = await measure("binary COPY", total, () =>
      Promise.all(work.map(async (batches, i) => { for (const rows of batches) await copyInsert(reserved[i]!, rows, now); })).then(() => {}),
    );
    figures.push(copy);
    for (const r of reserved) r.release();
    const ceiling = Math.max(unnest.eventsPerSecond, copy.eventsPerSecond);
    await sql`drop table ceiling_events`;

    const store = new PostgresEventStore(sql);
    const fresh = async () => {
      await sql`truncate events, streams`;
      await sql`checkpoint`;
    };
    const request = (r: Row): AppendRequest => ({
      streamId: r.streamId,
      expectedVersion: r.version === 1 ? "no_stream" : r.version - 1,
      events: [r.event],
    });
    const check = (results: ReadonlyArray<unknown>) => {
      const failed = results.find((r) => r instanceof Error);
      if (failed) throw failed;
    };

    // (b) append, one event per call.
    if (!json) console.log(`\n(b) EventStore.append, one event per call (one transaction each)`);
    const singles = work.flat(2);
    const sequentialCount = quick ? 1000 : 3000;
    await fresh();
    for (const r of warm[0]![0]!.slice(0, 200)) await store.append(request(r));
    await fresh();
    // Sequential: a lane's first batch of streams, appended one call at a time, in stream order.
    const sequential = work[0]!.flat().slice(0, sequentialCount);
    figures.push(await measure("sequential (1 in flight)", sequential.length, async () => {
      for (const r of sequential) await store.append(request(r));
    }));
    await fresh();
    const concurrentCount = quick ? 4000 : 16000;
    // 16 in flight: 16 workers, each with its own streams; versions in order per stream.
    const byStream = new Map<string, Row[]>();
    for (const r of singles) {
      const list = byStream.get(r.streamId) ?? [];
      list.push(r);
      byStream.set(r.streamId, list);
    }
    const chains = [...byStream.values()];
    const workers: Row[][] = Array.from({ length: 16 }, () => []);
    let taken = 0;
    for (const [i, chain] of chains.entries()) {
      if (taken >= concurrentCount) break;
      workers[i % 16]!.push(...chain);
      taken += chain.length;
    }
    const concurrentPool = createPostgresClient(url, { max: 16, applicationName: "traceledger-bench" });
    const concurrentStore = new PostgresEventStore(concurrentPool);
    await Promise.all(Array.from({ length: 16 }, () => concurrentStore.streamVersion(randomBytes(16).toString("hex"))));
    figures.push(await measure("16 in flight (pool of 16)", taken, () => lanes(workers, async (r) => concurrentStore.append(request(r)))));
    await concurrentPool.end();

    // (c) appendMany: group commit, a batch spans STREAMS_PER_BATCH streams.
    if (!json) console.log(`\n(c) EventStore.appendMany (group commit), ${STREAMS_PER_BATCH} streams per batch, ${LANES} batches in flight`);
    await fresh();
    await lanes(warm, async (rows) => check(await store.appendMany(rows.map(request))));
    await fresh();
    const group = await measure(`${STREAMS_PER_BATCH} events per batch`, total, () =>
      lanes(work, async (rows) => check(await store.appendMany(rows.map(request)))),
    );
    figures.push(group);
    await fresh();
    const halves = work.map((batches) => batches.flatMap((rows) => [rows.slice(0, rows.length / 2), rows.slice(rows.length / 2)]));
    const groupHalf = await measure(`${STREAMS_PER_BATCH / 2} events per batch`, total, () =>
      lanes(halves, async (rows) => check(await store.appendMany(rows.map(request)))),
    );
    figures.push(groupHalf);

    const [count] = await sql<{ n: bigint }[]>`select count(*)::int8 as n from events`;
    if (Number(count!.n) !== total) throw new Error(`expected ${total} events stored, found ${count!.n}`);

    const ratio = (f: Figure) => f.eventsPerSecond / ceiling;
    if (json) {
      console.log(JSON.stringify({ settings, ceiling, figures: figures.map((f) => ({ ...f, ratioToCeiling: ratio(f) })) }, null, 2));
    } else {
      console.log(`\nceiling (faster of unnest and COPY): ${fmt(ceiling)} events/s`);
      for (const f of figures) console.log(`  ${f.name.padEnd(40)} ${(ratio(f) * 100).toFixed(0).padStart(4)}% of the ceiling`);
      const best = Math.max(group.eventsPerSecond, groupHalf.eventsPerSecond);
      console.log(`\ntargets: group commit >= 60% of the ceiling: ${best / ceiling >= 0.6 ? "met" : "MISSED"} (${((best / ceiling) * 100).toFixed(0)}%); >= 60,000 events/s: ${best >= 60000 ? "met" : "MISSED"} (${fmt(best)})`);
    }
  } finally {
    await sql.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${escapeIdentifier(name)} with (force)`).catch(() => {});
    await admin.end({ timeout: 5 });
    await stopEmbedded();
    if (folder) await rm(folder, { recursive: true, force: true });
  }
}

await main();
