// Event store append throughput, against a raw PostgreSQL ceiling measured in the same run.
//
//   npx tsx tools/bench/append-throughput.ts [--quick] [--rounds=N] [--in-flight=N] [--skip-single] [--json]
//
// (a) the ceiling: identical rows into a bare copy of `events` (same columns, defaults,
//     constraints and indexes; no version probe, no checks), 1,000-row batches over 4
//     connections, as a multi-row unnest insert and as a binary COPY;
// (b) EventStore.append, one event per call: sequential, and 16 in flight;
// (c) EventStore.appendMany (group commit), 1,000 (and 500) streams per batch, one
//     event each, 4 batches in flight.
// (a) and (c) run --rounds times (default 3; 2 with --quick), interleaved, and the
// medians are reported; each round's (c) is divided by that round's ceiling.
//
// Uses DATABASE_URL if set (it needs CREATE DATABASE), else an embedded PostgreSQL in a
// throwaway folder with default (durable) settings: fsync on, synchronous_commit on.
// BENCH_EXPERIMENT_SQL, if set, runs after the migrations (to try a setting or index).
// See tools/bench/README.md for what each figure means.

import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { create, toBinary } from "@bufbuild/protobuf";
import { SpanKind, SpanStartedSchema } from "@traceledger/proto";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import type { AppendRequest } from "../../apps/server/src/event-store/event-store.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { openBenchDatabase } from "./support/bench-env.js";
import { copyInsert, freshCeilingTable, unnestInsert, type CeilingRow } from "./support/pg-ceiling.js";
import { median } from "./support/stats.js";

const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");
/** --skip-single: leave out (b), the slow one-event appends (for quick comparisons of group commit). */
const skipSingle = process.argv.includes("--skip-single");
/** --in-flight=N: group commit batches in flight (default 4, like the ceiling's connections). */
const groupInFlight = Number(process.argv.find((a) => a.startsWith("--in-flight="))?.slice(12) ?? 4);

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
      attributes: [
        { key: "http.request.method", value: str("GET") },
        { key: "url.path", value: str(`/orders/${100000 + (k % 90000)}`) },
        { key: "http.response.status_code", value: { value: { case: "intValue" as const, value: 200n } } },
      ],
      resourceAttributes: [
        { key: "service.version", value: str("1.4.2") },
        { key: "deployment.environment.name", value: str("production") },
      ],
    }),
  );
}

/** A ceiling row is also the event appended to the store: one workload for both. */
type Row = CeilingRow & { streamId: string };

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
          eventId: randomUUID(),
          type: "SpanStarted",
          payload: spanStartedPayload(traceId, k),
          occurredAt: 1_764_000_000_000_000_000n + BigInt(k),
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
  /** The whole machine's busy CPU per second of wall time, in cores (Linux only; else NaN). */
  machineCores: number;
  /** Of the machine's CPU time, the share waiting for I/O. */
  ioWait: number;
  /** The embedded PostgreSQL's processes' CPU per second of wall time, in cores (NaN if unknown). */
  postgresCores: number;
}

/** The embedded server's postmaster, whose processes' CPU is counted (Linux only). */
let postmasterPid: number | undefined;

/** CPU jiffies (user + system) of the postmaster and its children, from /proc. */
function postgresTicks(): number {
  if (postmasterPid === undefined) return NaN;
  let ticks = 0;
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue;
      }
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      if (pid === postmasterPid || ppid === postmasterPid) ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return NaN;
  }
  return ticks;
}

/** Busy and I/O-wait jiffies of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; iowait: number; total: number } {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, iowait, total: busy + idle + iowait };
  } catch {
    return { busy: NaN, iowait: NaN, total: NaN };
  }
}

async function measure(name: string, events: number, run: () => Promise<void>): Promise<Figure> {
  const cpu = process.cpuUsage();
  const ticks = machineTicks();
  const pgTicks = postgresTicks();
  const start = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const after = machineTicks();
  const pgAfter = postgresTicks();
  const cores = cpus().length;
  const figure = {
    name,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    nodeCores: (used.user + used.system) / 1e6 / seconds,
    machineCores: ((after.busy - ticks.busy) / (after.total - ticks.total)) * cores,
    ioWait: (after.iowait - ticks.iowait) / (after.total - ticks.total),
    postgresCores: (pgAfter - pgTicks) / CLOCK_TICKS / seconds,
  };
  if (!json) {
    console.log(
      `  ${name.padEnd(40)} ${fmt(figure.eventsPerSecond).padStart(8)} events/s   ` +
        `(CPU in cores: node ${figure.nodeCores.toFixed(2)}, postgres ${figure.postgresCores.toFixed(2)}, machine ${figure.machineCores.toFixed(2)} of ${cores}; ` +
        `per event: node ${((figure.nodeCores / figure.eventsPerSecond) * 1e6).toFixed(1)} us, postgres ${((figure.postgresCores / figure.eventsPerSecond) * 1e6).toFixed(1)} us)`,
    );
  }
  return figure;
}

/** Linux's USER_HZ: /proc times are in 1/100 s. */
const CLOCK_TICKS = 100;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Runs each lane's items in order, `concurrency` lanes at a time (default: all at once). */
async function lanes<T>(work: readonly T[][], each: (item: T) => Promise<unknown>, concurrency = work.length): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, work.length) }, async () => {
      while (next < work.length) {
        const items = work[next++]!;
        for (const item of items) await each(item);
      }
    }),
  );
}

// ---------------------------------------------------------------- the ceiling

// ---------------------------------------------------------------- main

/** The median of a scenario's rounds, with its spread. */
interface Summary {
  name: string;
  eventsPerSecond: number;
  min: number;
  max: number;
  nodeCores: number;
  postgresCores: number;
  machineCores: number;
  /** Median over rounds of this round's figure / this round's ceiling. */
  ratioToCeiling: number;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? (quick ? 2 : 3));
  const db = await openBenchDatabase("tl_bench");
  postmasterPid = db.postmasterPid;
  const url = db.url;
  const sql = createPostgresClient(url, { max: LANES, applicationName: "traceledger-bench" });
  // COPY needs a connection of its own per lane: a second client, so that the first
  // stays free for the statements in between.
  const copyClient = createPostgresClient(url, { max: LANES, applicationName: "traceledger-bench" });
  try {
    await migrate(sql);
    if (process.env["BENCH_EXPERIMENT_SQL"]) await sql.unsafe(process.env["BENCH_EXPERIMENT_SQL"]);
    const [settings] = await sql<{ version: string; fsync: string; synchronous_commit: string; shared_buffers: string }[]>`
      select current_setting('server_version') as version, current_setting('fsync') as fsync,
             current_setting('synchronous_commit') as synchronous_commit, current_setting('shared_buffers') as shared_buffers`;
    const work = makeWorkload(BATCHES_PER_LANE);
    const warm = makeWorkload(1);
    const total = LANES * BATCHES_PER_LANE * STREAMS_PER_BATCH;
    const payloadSizes = work.flat(2).map((r) => r.payload.length);
    const meanPayload = payloadSizes.reduce((a, b) => a + b, 0) / payloadSizes.length;
    if (!json) {
      console.log(`PostgreSQL ${settings!.version} (${db.kind}), fsync=${settings!.fsync}, synchronous_commit=${settings!.synchronous_commit}, shared_buffers=${settings!.shared_buffers}`);
      console.log(`Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB`);
      console.log(`payload: SpanStarted, ${Math.min(...payloadSizes)}-${Math.max(...payloadSizes)} bytes (mean ${Math.round(meanPayload)}); ${fmt(total)} events per scenario, ${rounds} rounds`);
    }
    const now = 1_764_000_000_000_000_000n;
    const store = new PostgresEventStore(sql);
    const request = (r: Row): AppendRequest => ({
      streamId: r.streamId,
      expectedVersion: r.version === 1 ? "no_stream" : r.version - 1,
      events: [r],
    });
    const check = (results: ReadonlyArray<unknown>) => {
      const failed = results.find((r) => r instanceof Error);
      if (failed) throw failed;
    };
    const freshStore = async () => {
      await sql`truncate events`;
      await sql`checkpoint`;
    };
    const reserved = await Promise.all(Array.from({ length: LANES }, () => copyClient.reserve()));
    const copyLanes = (batches: Row[][][]) =>
      Promise.all(batches.map(async (lane, i) => { for (const rows of lane) await copyInsert(reserved[i]!, rows, now); })).then(() => {});
    const halves = work.map((batches) => batches.flatMap((rows) => [rows.slice(0, rows.length / 2), rows.slice(rows.length / 2)]));
    const halvesWarm = warm.map((batches) => batches.flatMap((rows) => [rows.slice(0, rows.length / 2), rows.slice(rows.length / 2)]));

    /** The scenarios measured every round; each starts from empty tables after a warm-up. */
    const scenarios: Array<{ name: string; group: "ceiling" | "group"; run: (w: Row[][][]) => Promise<void>; warm: Row[][][]; work: Row[][][]; fresh: () => Promise<void> }> = [
      { name: "multi-row insert (unnest)", group: "ceiling", fresh: () => freshCeilingTable(sql), warm, work, run: (w) => lanes(w, (rows) => unnestInsert(sql, rows, now)) },
      { name: "binary COPY", group: "ceiling", fresh: () => freshCeilingTable(sql), warm, work, run: copyLanes },
      {
        name: `${STREAMS_PER_BATCH} events per batch`, group: "group", fresh: freshStore, warm, work,
        run: (w) => lanes(w, async (rows) => check(await store.appendMany(rows.map(request))), groupInFlight),
      },
      {
        name: `${STREAMS_PER_BATCH / 2} events per batch`, group: "group", fresh: freshStore, warm: halvesWarm, work: halves,
        run: (w) => lanes(w, async (rows) => check(await store.appendMany(rows.map(request))), groupInFlight),
      },
    ];
    const perRound: Figure[][] = [];
    for (let round = 1; round <= rounds; round++) {
      if (!json) console.log(`\nround ${round}: (a) raw ceiling, ${STREAMS_PER_BATCH}-row batches, ${LANES} connections; (c) EventStore.appendMany, ${STREAMS_PER_BATCH} streams per batch, ${groupInFlight} batches in flight`);
      const figures: Figure[] = [];
      for (const scenario of scenarios) {
        await scenario.fresh();
        await scenario.run(scenario.warm);
        await scenario.fresh();
        figures.push(await measure(`${scenario.group === "ceiling" ? "(a)" : "(c)"} ${scenario.name}`, total, () => scenario.run(scenario.work)));
      }
      const [count] = await sql<{ n: bigint }[]>`select count(*)::int8 as n from events`;
      if (Number(count!.n) !== total) throw new Error(`expected ${total} events stored, found ${count!.n}`);
      perRound.push(figures);
    }
    for (const r of reserved) r.release();
    await sql`drop table if exists ceiling_events`;

    const summaries: Summary[] = perRound[0]!.map((_, k) => {
      const series = perRound.map((figures) => figures[k]!);
      const ratios = perRound.map((figures) => figures[k]!.eventsPerSecond / Math.max(figures[0]!.eventsPerSecond, figures[1]!.eventsPerSecond));
      return {
        name: series[0]!.name,
        eventsPerSecond: median(series.map((f) => f.eventsPerSecond)),
        min: Math.min(...series.map((f) => f.eventsPerSecond)),
        max: Math.max(...series.map((f) => f.eventsPerSecond)),
        nodeCores: median(series.map((f) => f.nodeCores)),
        postgresCores: median(series.map((f) => f.postgresCores)),
        machineCores: median(series.map((f) => f.machineCores)),
        ratioToCeiling: median(ratios),
      };
    });

    // (b) append, one event per call: slow (one commit each), measured once.
    const singles: Figure[] = [];
    if (!skipSingle) {
      if (!json) console.log(`\n(b) EventStore.append, one event per call (one transaction each)`);
      const sequentialCount = quick ? 1000 : 3000;
      await freshStore();
      for (const r of warm[0]![0]!.slice(0, 200)) await store.append(request(r));
      await freshStore();
      // Sequential: a lane's streams, appended one call at a time, versions in order.
      const sequential = work[0]!.flat().slice(0, sequentialCount);
      singles.push(await measure("sequential (1 in flight)", sequential.length, async () => {
        for (const r of sequential) await store.append(request(r));
      }));
      await freshStore();
      const concurrentCount = quick ? 4000 : 16000;
      // 16 in flight: 16 workers, each with its own streams, versions in order per stream.
      const byStream = new Map<string, Row[]>();
      for (const r of work.flat(2)) {
        const list = byStream.get(r.streamId) ?? [];
        list.push(r);
        byStream.set(r.streamId, list);
      }
      const workers: Row[][] = Array.from({ length: 16 }, () => []);
      let taken = 0;
      for (const [i, chain] of [...byStream.values()].entries()) {
        if (taken >= concurrentCount) break;
        workers[i % 16]!.push(...chain);
        taken += chain.length;
      }
      const concurrentPool = createPostgresClient(url, { max: 16, applicationName: "traceledger-bench" });
      const concurrentStore = new PostgresEventStore(concurrentPool);
      await Promise.all(Array.from({ length: 16 }, () => concurrentStore.streamVersion(randomBytes(16).toString("hex"))));
      singles.push(await measure("16 in flight (pool of 16)", taken, () => lanes(workers, async (r) => concurrentStore.append(request(r)))));
      await concurrentPool.end();
    }

    const ceiling = Math.max(summaries[0]!.eventsPerSecond, summaries[1]!.eventsPerSecond);
    // CPU time per event (this process plus the embedded server's), less disturbed by
    // other load on the machine than events/s: the ratio a CPU-bound, dedicated machine would show.
    const cpuPerEvent = (s: Summary) => (s.nodeCores + s.postgresCores) / s.eventsPerSecond;
    const ceilingCpu = Math.min(cpuPerEvent(summaries[0]!), cpuPerEvent(summaries[1]!));
    const best = summaries.filter((s) => s.name.startsWith("(c)")).sort((a, b) => b.eventsPerSecond - a.eventsPerSecond)[0]!;
    if (json) {
      console.log(
        JSON.stringify(
          {
            settings,
            rounds,
            ceiling,
            summaries: summaries.map((s) => ({ ...s, cpuRatioToCeiling: ceilingCpu / cpuPerEvent(s) })),
            singles: singles.map((f) => ({ ...f, ratioToCeiling: f.eventsPerSecond / ceiling })),
          },
          (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
          2,
        ),
      );
    } else {
      console.log(`\nmedians over ${rounds} rounds (min-max); ratio = median of each round's figure / that round's ceiling;`);
      console.log(`cpu ratio = the ceiling's CPU time per event / this one's (node + postgres), robust to other load`);
      for (const s of summaries) {
        console.log(
          `  ${s.name.padEnd(34)} ${fmt(s.eventsPerSecond).padStart(8)} events/s (${fmt(s.min)}-${fmt(s.max)})  ratio ${(s.ratioToCeiling * 100).toFixed(0).padStart(3)}%` +
            `  cpu ratio ${((ceilingCpu / cpuPerEvent(s)) * 100).toFixed(0).padStart(3)}%` +
            `  CPU per event: node ${((s.nodeCores / s.eventsPerSecond) * 1e6).toFixed(1)} us, postgres ${((s.postgresCores / s.eventsPerSecond) * 1e6).toFixed(1)} us`,
        );
      }
      for (const f of singles) {
        console.log(`  (b) ${f.name.padEnd(30)} ${fmt(f.eventsPerSecond).padStart(8)} events/s  ${((f.eventsPerSecond / ceiling) * 100).toFixed(1).padStart(5)}%`);
      }
      console.log(`\ntargets: group commit >= 60% of the ceiling: ${best.ratioToCeiling >= 0.6 ? "met" : "MISSED"} (${(best.ratioToCeiling * 100).toFixed(0)}%); ` +
        `>= 60,000 events/s: ${best.eventsPerSecond >= 60000 ? "met" : "MISSED"} (${fmt(best.eventsPerSecond)})`);
    }
  } finally {
    await copyClient.end({ timeout: 5 });
    await sql.end({ timeout: 5 });
    await db.close();
  }
}

await main();
