// The raw PostgreSQL ceiling for ingest-throughput.ts, the same approach as
// append-throughput.ts (which exports nothing, so it is re-done here): identical
// rows into an identical bare table (`like events including all`: same columns,
// defaults, constraints and indexes; no version probe, no checks), over `lanes`
// connections, as a multi-row `unnest` insert and as a binary COPY; the faster
// one is the ceiling.
//
// The rows are the events the server stores for the ingest workload: its commands
// are mapped, decided and encoded by the server's own code (to-command,
// decideTrace, encodeTraceEvent, deriveEventId), so types, payload bytes and
// sizes are exactly what the server writes. otlp-ceiling.ts measures its own
// rows the same way (measureCeilingOf).

import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type postgres from "postgres";
import type { Sql } from "../../../apps/server/src/database/open-database.js";
import { DEFAULT_SPAN_LIMITS } from "../../../apps/server/src/domain/trace/span-limits.js";
import { decideTrace } from "../../../apps/server/src/domain/trace/trace-decide.js";
import { isTraceError } from "../../../apps/server/src/domain/trace/trace-error.js";
import { eventIdentity } from "../../../apps/server/src/domain/trace/trace-event.js";
import { evolveTrace, initialTraceState } from "../../../apps/server/src/domain/trace/trace-state.js";
import { bytesToHex } from "../../../apps/server/src/domain/trace/w3c-ids.js";
import { byteaArray, int4Array, int8Array, textArrayLiteral, uuidArray } from "../../../apps/server/src/event-store/postgres/sql-arrays.js";
import { deriveEventId } from "../../../apps/server/src/events/event-id.js";
import { encodeTraceEvent, occurredAt } from "../../../apps/server/src/events/trace-event-codec.js";
import { batchCommand } from "../../../apps/server/src/rpc/to-command.js";
import { traceEnds, traceStarts, TRACES_PER_BATCH } from "./ingest-workload.js";

export interface CeilingRow {
  traceId: Buffer;
  version: number;
  eventId: string;
  type: string;
  payload: Uint8Array;
  occurredAt: bigint;
}

interface EventTemplate {
  type: string;
  payload: Uint8Array;
  occurredAt: bigint;
}

/** The events the server stores for one trace of the workload: from its starts, then from its ends. */
export function serverEventsOfOneTrace(t0: bigint): { starts: EventTemplate[]; ends: EventTemplate[] } {
  const traceId = randomBytes(16);
  const hex = bytesToHex(traceId);
  let state = initialTraceState(hex);
  const decide = (commands: ReturnType<typeof traceStarts>) => {
    const out: EventTemplate[] = [];
    for (const wire of commands) {
      const command = batchCommand(wire);
      if (isTraceError(command)) throw new Error(command.message);
      const decision = decideTrace(command, state, { now: t0, newId: () => "n", limits: DEFAULT_SPAN_LIMITS });
      if (!decision.ok) throw new Error(decision.error.message);
      for (const event of decision.events) {
        deriveEventId(hex, eventIdentity(event, bytesToHex)); // as the server does; the ceiling uses random ids
        out.push({ ...encodeTraceEvent(event), occurredAt: occurredAt(event) });
        state = evolveTrace(state, event);
      }
    }
    return out;
  };
  const starts = decide(traceStarts(traceId, t0, 0));
  const ends = decide(traceEnds(traceId, t0));
  return { starts, ends };
}

/**
 * `lanes` x `batches` batches in the lifecycle layout: each batch holds the start
 * events of TRACES_PER_BATCH new traces and the end events of the previous batch's
 * traces (the first batch of a lane: starts only), with their stream versions.
 */
export function ceilingWorkload(lanes: number, batches: number, t0: bigint): CeilingRow[][][] {
  const { starts, ends } = serverEventsOfOneTrace(t0);
  return Array.from({ length: lanes }, () => {
    let previous: Buffer[] = [];
    return Array.from({ length: batches }, () => {
      const fresh = Array.from({ length: TRACES_PER_BATCH }, () => randomBytes(16));
      const rows: CeilingRow[] = [];
      for (const traceId of fresh) starts.forEach((e, i) => rows.push({ traceId, version: i + 1, eventId: randomUUID(), ...e }));
      for (const traceId of previous) ends.forEach((e, i) => rows.push({ traceId, version: starts.length + i + 1, eventId: randomUUID(), ...e }));
      previous = fresh;
      return rows;
    });
  });
}

const COLUMNS = "trace_id, version, event_id, type, payload, occurred_at, recorded_at";

export async function freshCeilingTable(sql: Pick<Sql, "unsafe">): Promise<void> {
  await sql.unsafe(`drop table if exists ceiling_events; create table ceiling_events (like events including all)`);
  await sql.unsafe(`checkpoint`);
}

export async function unnestInsert(sql: Sql, rows: readonly CeilingRow[], now: bigint): Promise<void> {
  await sql.unsafe(
    `insert into ceiling_events (${COLUMNS})
     select * from unnest($1::bytea[], $2::int4[], $3::uuid[], $4::text[], $5::bytea[], $6::int8[], $7::int8[])`,
    [
      byteaArray(rows.map((r) => r.traceId)),
      int4Array(rows.map((r) => r.version)),
      uuidArray(rows.map((r) => r.eventId)),
      textArrayLiteral(rows.map((r) => r.type)),
      byteaArray(rows.map((r) => r.payload)),
      int8Array(rows.map((r) => r.occurredAt)),
      int8Array(rows.map(() => now)),
    ],
    { prepare: true },
  );
}

/** PostgreSQL's binary COPY format for the ceiling table's columns. */
export function copyBinary(rows: readonly CeilingRow[], now: bigint): Buffer {
  let size = 19 + 2;
  for (const r of rows) size += 2 + (4 + 16) + (4 + 4) + (4 + 16) + (4 + Buffer.byteLength(r.type)) + (4 + r.payload.length) + (4 + 8) * 2;
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
    o += Buffer.from(r.eventId.replace(/-/g, ""), "hex").copy(out, o);
    const typeLength = Buffer.byteLength(r.type);
    o = out.writeInt32BE(typeLength, o);
    o += out.write(r.type, o, "utf8");
    o = out.writeInt32BE(r.payload.length, o);
    out.set(r.payload, o);
    o += r.payload.length;
    o = out.writeInt32BE(8, o);
    o = out.writeBigInt64BE(r.occurredAt, o);
    o = out.writeInt32BE(8, o);
    o = out.writeBigInt64BE(now, o);
  }
  o = out.writeInt16BE(-1, o);
  return out.subarray(0, o);
}

export async function copyInsert(sql: postgres.ReservedSql, rows: readonly CeilingRow[], now: bigint): Promise<void> {
  const writable = await sql.unsafe(`copy ceiling_events (${COLUMNS}) from stdin (format binary)`).writable();
  await pipeline(Readable.from([copyBinary(rows, now)]), writable);
}

export interface CeilingFigures {
  readonly rows: number;
  readonly rowsPerBatch: number;
  readonly unnest: number;
  readonly copy: number;
  readonly ceiling: number;
  readonly meanPayload: number;
}

/** Measures both methods (each after a warm-up on a fresh table); rows/s. `sql` needs `lanes` connections. */
export function measureCeiling(sql: Sql, lanes: number, batchesPerLane: number): Promise<CeilingFigures> {
  const now = BigInt(Date.now()) * 1_000_000n;
  return measureCeilingOf(sql, ceilingWorkload(lanes, batchesPerLane, now), ceilingWorkload(lanes, 2, now), now);
}

/**
 * Both methods over given rows, `lanes` x batches x rows (one connection per
 * lane of `work`), each after `warm` on a fresh table; rows/s.
 */
export async function measureCeilingOf(sql: Sql, work: CeilingRow[][][], warm: CeilingRow[][][], now: bigint): Promise<CeilingFigures> {
  const lanes = work.length;
  const batchesPerLane = work[0]?.length ?? 0;
  const all = work.flat(2);
  const rows = all.length;
  const meanPayload = all.reduce((n, r) => n + r.payload.length, 0) / rows;
  const timed = async (run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    return rows / ((performance.now() - t) / 1000);
  };
  const eachLane = (batches: CeilingRow[][][], insert: (lane: number, rows: CeilingRow[]) => Promise<void>) =>
    Promise.all(batches.map(async (lane, i) => { for (const b of lane) await insert(i, b); }));

  await freshCeilingTable(sql);
  await eachLane(warm, (_, b) => unnestInsert(sql, b, now));
  await freshCeilingTable(sql);
  const unnest = await timed(() => eachLane(work, (_, b) => unnestInsert(sql, b, now)));

  await freshCeilingTable(sql);
  const reserved = await Promise.all(Array.from({ length: lanes }, () => sql.reserve()));
  try {
    await eachLane(warm, (i, b) => copyInsert(reserved[i]!, b, now));
    // Every connection of the pool is reserved here: the DDL goes through one of them.
    await freshCeilingTable(reserved[0]!);
    const copy = await timed(() => eachLane(work, (i, b) => copyInsert(reserved[i]!, b, now)));
    return { rows, rowsPerBatch: rows / (lanes * batchesPerLane), unnest, copy, ceiling: Math.max(unnest, copy), meanPayload };
  } finally {
    for (const r of reserved) r.release();
    await sql`drop table if exists ceiling_events`;
    await sql`checkpoint`;
  }
}
