// What the ListTraces projector costs per event, alone: a log of the ingest
// workload's events (support/pg-ceiling.ts's serverEventsOfOneTrace, in the
// lifecycle layout: each 600-event batch holds the starts of 50 traces and the
// ends of the previous 50) is stored once, then the projector rebuilds the
// tables from it several times. Measured per event: this process's CPU (the
// projector runs here, as on the server's main thread) and PostgreSQL's (the
// embedded cluster's postmaster and backends), for readAll alone and for whole
// rebuilds (readAll included).
//
//   npx tsx tools/bench/listing-projector.ts [--quick] [--profile] [--traces=N] [--slice=N] [--rounds=N]
//
// --slice is the projector's batch size (events per transaction). The live
// server applies what was committed in the last 100 ms: about 2,000 events at
// 20k events/s. --profile samples this process's CPU during the projector's
// rounds only (not seeding, not readAll alone) and prints where it went.

import { Session } from "node:inspector/promises";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { START_OF_LOG } from "../../apps/server/src/event-store/event-store.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { TraceListingProjector } from "../../apps/server/src/projections/postgres/trace-listing-projector.js";
import { profileReport } from "./support/cpu-profile.js";
import { machineLine, num, openBenchDatabase, processTreeCpuSeconds } from "./support/bench-env.js";
import { seedLifecycleLog } from "./support/lifecycle-log.js";

const arg = (name: string, fallback: number) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split("=")[1]) : fallback;
};
const quick = process.argv.includes("--quick");
const profile = process.argv.includes("--profile");
const TRACES = arg("traces", quick ? 5000 : 20_000);
const SLICE = arg("slice", 2000);
const ROUNDS = arg("rounds", quick ? 2 : 3);

async function main(): Promise<void> {
  process.stdout.write(`${machineLine(`${num(TRACES)} traces, slices of ${num(SLICE)} events`)}\n`);
  const db = await openBenchDatabase("tl_bench_projector");
  const sql = createPostgresClient(db.url, { max: 4, applicationName: "traceledger-bench" });
  try {
    await migrate(sql);
    const store = new PostgresEventStore(sql);
    const events = await seedLifecycleLog(store, TRACES, BigInt(Date.now()) * 1_000_000n);
    process.stdout.write(`  stored ${num(events)} events\n`);
    await sql`vacuum analyze events`;

    const cpu = async () => ({ node: process.cpuUsage(), pg: await processTreeCpuSeconds(db.postmasterPid) });
    const report = async (label: string, before: Awaited<ReturnType<typeof cpu>>, t0: number, n: number) => {
      const after = await cpu();
      const nodeUs = (after.node.user + after.node.system - before.node.user - before.node.system) / n;
      const pgUs = ((after.pg - before.pg) * 1e6) / n;
      const wall = performance.now() - t0;
      process.stdout.write(`  ${label.padEnd(24)} node ${nodeUs.toFixed(2).padStart(6)} us/event   postgres ${pgUs.toFixed(2).padStart(6)} us/event   ${num((n / wall) * 1000)} events/s\n`);
    };

    const inspector = new Session();
    if (profile) {
      inspector.connect();
      await inspector.post("Profiler.enable");
    }
    let profileText = "";
    for (let round = 0; round < ROUNDS; round++) {
      let before = await cpu();
      let t0 = performance.now();
      let checkpoint = START_OF_LOG;
      let read = 0;
      for (;;) {
        const slice = await store.readAll(checkpoint, SLICE);
        if (slice.events.length === 0) break;
        read += slice.events.length;
        checkpoint = slice.checkpoint;
      }
      await report(`readAll alone`, before, t0, read);

      const projector = new TraceListingProjector({ sql, store, batchSize: SLICE });
      await sql`truncate span_index, trace_summaries`;
      await sql`delete from subscriber_checkpoints`;
      await sql`checkpoint`;
      before = await cpu();
      t0 = performance.now();
      const profiled = profile && round === ROUNDS - 1;
      if (profiled) await inspector.post("Profiler.start");
      const applied = await projector.catchUp();
      await report(`projector (round ${round + 1})`, before, t0, applied);
      if (profiled) {
        const { profile: samples } = await inspector.post("Profiler.stop");
        profileText = profileReport(`This process during the last round, ${num(applied)} events`, samples as unknown as Parameters<typeof profileReport>[1], 30, { count: applied, unit: "event" });
      }
    }
    const [counts] = await sql<{ spans: number; traces: number }[]>`select (select count(*)::int from span_index) as spans, (select count(*)::int from trace_summaries) as traces`;
    process.stdout.write(`  span_index ${num(counts!.spans)} rows, trace_summaries ${num(counts!.traces)} rows\n${profileText}\n`);
    inspector.disconnect();
  } finally {
    await sql.end({ timeout: 5 });
    await db.close();
  }
}


await main();
