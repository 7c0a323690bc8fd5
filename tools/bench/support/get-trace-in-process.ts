// GetTrace of one big stored trace, in process, the way replay-and-time-travel.ts
// reports it: as of random versions and now, for each way of answering, beside
// the raw read of the same events, in interleaved rounds (the machine's noise
// then falls on every scenario alike). Besides latency, each scenario's CPU per
// read: this process (Node) and the PostgreSQL cluster (from /proc).

import { create, toBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema } from "@traceledger/proto";
import type { Sql } from "../../../apps/server/src/database/open-database.js";
import type { PostgresEventStore } from "../../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { decodeTraceEvent } from "../../../apps/server/src/events/trace-event-codec.js";
import { TraceViewBuilder } from "../../../apps/server/src/projections/trace-view.js";
import { PostgresViewStore } from "../../../apps/server/src/trace-reads/postgres/postgres-view-store.js";
import { SnapshotWriter } from "../../../apps/server/src/trace-reads/snapshot-writer.js";
import { TraceReader, type TraceMoment } from "../../../apps/server/src/trace-reads/trace-reader.js";
import { TraceViewCache } from "../../../apps/server/src/trace-reads/trace-view-cache.js";
import { processTreeCpuSeconds } from "./bench-env.js";
import { percentile } from "./stats.js";

export interface GetTraceRow {
  readonly name: string;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** CPU per read, microseconds. */
  readonly nodeUs: number;
  readonly postgresUs: number;
}

export interface GetTraceFigures {
  readonly asOf: GetTraceRow[];
  readonly now: GetTraceRow[];
  /** First reads with no snapshot stored and nothing cached, ms (each a fresh reader). */
  readonly cold: { asOf: number[]; now: number[] };
  readonly snapshots: { count: number; viewBytes: number; storedBytes: number };
}

/** The same pseudo-random versions on every run (a linear congruential sequence). */
export function versionSequence(count: number, max: number, seed = 12345): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return 1 + (x % max);
  });
}

type Read = (moment: TraceMoment) => Promise<unknown>;

export async function measureGetTrace(options: {
  sql: Sql;
  store: PostgresEventStore;
  traceId: string;
  eventCount: number;
  samples: number;
  rounds: number;
  postmasterPid: number | undefined;
  snapshotEvery: number;
}): Promise<GetTraceFigures> {
  const { sql, store, traceId } = options;
  const views = new PostgresViewStore(sql);
  const clock = () => BigInt(Date.now()) * 1_000_000n;

  // Cold first reads: no snapshot, no cache, nothing folded before.
  const cold = { asOf: [] as number[], now: [] as number[] };
  for (let i = 0; i < 3; i++) {
    for (const kind of ["asOf", "now"] as const) {
      await sql`delete from trace_view_snapshots where trace_id = ${Buffer.from(traceId, "hex")}`;
      const reader = new TraceReader({ store: views, clock, snapshotEvery: options.snapshotEvery });
      const t = performance.now();
      await reader.read(traceId, kind === "now" ? { kind: "now" } : { kind: "version", version: Math.ceil(options.eventCount / 2) });
      cold[kind].push(performance.now() - t);
    }
  }
  // Then the snapshots, as the server's first read writes them.
  const writer = new SnapshotWriter(views);
  await new TraceReader({ store: views, clock, snapshots: writer, snapshotEvery: options.snapshotEvery }).read(traceId, { kind: "now" });
  await writer.idle();
  const [stored] = await sql<{ count: number; view_bytes: number; stored_bytes: number }[]>`
    select count(*)::int as count, coalesce(sum(octet_length(view)), 0)::int as view_bytes,
           pg_total_relation_size('trace_view_snapshots')::int as stored_bytes
      from trace_view_snapshots where trace_id = ${Buffer.from(traceId, "hex")}`;

  const before: Read = async (moment) => {
    const rows = await store.readStream(traceId, moment.kind === "version" ? { toVersion: moment.version } : {});
    const builder = new TraceViewBuilder(traceId);
    for (const row of rows) builder.apply(decodeTraceEvent(row.type, row.payload));
    const at = moment.kind === "version" ? rows[rows.length - 1]!.recordedAt : clock();
    return toBinary(GetTraceResponseSchema, create(GetTraceResponseSchema, { trace: builder.build(at) }));
  };
  const noCache = new TraceReader({ store: views, clock, snapshotEvery: options.snapshotEvery });
  const cached = new TraceReader({ store: views, clock, cache: new TraceViewCache(64 * 1024 * 1024), snapshotEvery: options.snapshotEvery });
  const scenarios: Array<[string, Read]> = [
    ["baseline: read the events up to that version from PostgreSQL (readStream)", (m) => store.readStream(traceId, m.kind === "version" ? { toVersion: m.version } : {})],
    ["before: read + decode + full fold + protobuf-es encode (the previous GetTrace)", before],
    ["snapshot + tail, no view cache (a replica that never read the trace)", (m) => noCache.read(traceId, m)],
    ["snapshot + tail + view cache (the server's default)", (m) => cached.read(traceId, m)],
  ];

  const measure = async (moments: TraceMoment[]): Promise<GetTraceRow[]> => {
    const times = scenarios.map(() => [] as number[]);
    const node = scenarios.map(() => 0);
    const postgres = scenarios.map(() => 0);
    for (const [, read] of scenarios) for (const m of moments.slice(0, 10)) await read(m); // warm-up
    const perRound = Math.ceil(moments.length / options.rounds);
    for (let round = 0; round < options.rounds; round++) {
      const slice = moments.slice(round * perRound, (round + 1) * perRound);
      for (let k = 0; k < scenarios.length; k++) {
        const s = (k + round) % scenarios.length; // rotate the order
        const cpu0 = process.cpuUsage();
        const pg0 = await processTreeCpuSeconds(options.postmasterPid);
        for (const m of slice) {
          const t = performance.now();
          await scenarios[s]![1](m);
          times[s]!.push(performance.now() - t);
        }
        const cpu = process.cpuUsage(cpu0);
        node[s]! += cpu.user + cpu.system;
        postgres[s]! += ((await processTreeCpuSeconds(options.postmasterPid)) - pg0) * 1e6;
      }
    }
    return scenarios.map(([name], s) => ({
      name,
      p50: percentile(times[s]!, 50),
      p95: percentile(times[s]!, 95),
      p99: percentile(times[s]!, 99),
      nodeUs: node[s]! / times[s]!.length,
      postgresUs: postgres[s]! / times[s]!.length,
    }));
  };

  const asOf = await measure(versionSequence(options.samples, options.eventCount).map((version) => ({ kind: "version", version })));
  const now = await measure(Array.from({ length: Math.ceil(options.samples / 2) }, () => ({ kind: "now" })));
  return { asOf, now, cold, snapshots: { count: stored!.count, viewBytes: stored!.view_bytes, storedBytes: stored!.stored_bytes } };
}
