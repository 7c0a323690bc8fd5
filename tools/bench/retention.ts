// Trace retention (apps/server/src/retention): how fast a pass deletes expired
// traces, against how fast the same events were appended in the same run (the
// rate retention must keep up with), and what its lock costs a writer: the
// latency of one-event appends made one after another, first with no pass
// running (baseline), then during a pass.
//
//   npx tsx tools/bench/retention.ts [--quick] [--traces=N] [--batch=N]
//
// The log is the ingest workload's (support/pg-ceiling.ts: 12 events per trace,
// the lifecycle layout), recorded 10 days ago, listed by the ListTraces projector
// (so span_index and trace_summaries rows go too); retention 7 days. --batch is
// the traces deleted per transaction (the server's default 50).

import { randomBytes, randomUUID } from "node:crypto";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { bytesToHex } from "../../apps/server/src/domain/trace/w3c-ids.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { TRACE_LISTING_SUBSCRIBER, TraceListingProjector } from "../../apps/server/src/projections/postgres/trace-listing-projector.js";
import { TraceRetention } from "../../apps/server/src/retention/trace-retention.js";
import { machineLine, ms, num, openBenchDatabase, postgresSettingsLine } from "./support/bench-env.js";
import { TRACES_PER_BATCH } from "./support/ingest-workload.js";
import { serverEventsOfOneTrace } from "./support/pg-ceiling.js";
import { seedLifecycleLog } from "./support/lifecycle-log.js";
import { latenciesDuring, latencyTable, passUnderWrites } from "./support/latencies-during.js";

const arg = (name: string, fallback: number) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split("=")[1]) : fallback;
};
const quick = process.argv.includes("--quick");
const TRACES = arg("traces", quick ? 5000 : 20_000);
const BATCH = arg("batch", 50);
const DAY = 86_400n * 1_000_000_000n;
const NOW = BigInt(Date.now()) * 1_000_000n;

async function main(): Promise<void> {
  const db = await openBenchDatabase("tl_bench_retention");
  const sql = createPostgresClient(db.url, { max: 6, applicationName: "traceledger-bench" });
  let now = NOW - 10n * DAY;
  const store = new PostgresEventStore(sql, { clock: () => now });
  try {
    await migrate(sql);
    process.stdout.write(`${machineLine(`${num(TRACES)} traces, ${BATCH} per delete`)}\n${await postgresSettingsLine(sql, db.kind)}\n`);
    const seedStart = performance.now();
    const seeded = await seedLifecycleLog(store, TRACES, NOW - 10n * DAY);
    const seedMs = performance.now() - seedStart;
    const listed = await new TraceListingProjector({ sql, store, batchSize: 2000 }).catchUp();
    now = NOW;
    const writer = new Writer(store);
    // Recent traces after the old ones: the projector's checkpoint passes every old trace.
    for (let i = 0; i < 20; i++) await writer.once();
    await new TraceListingProjector({ sql, store, batchSize: 2000 }).catchUp();
    await sql`vacuum analyze events`;
    await sql`vacuum analyze span_index`;
    await sql`vacuum analyze trace_summaries`;
    process.stdout.write(`  seeded ${num(seeded)} events (${num(TRACES)} traces) in ${ms(seedMs)} ms; listed ${num(listed)}\n`);

    const baseline = await writer.during(() => new Promise((resolve) => setTimeout(resolve, 3000)));
    const retention = new TraceRetention({ sql, retentionNs: 7n * DAY, subscribers: [TRACE_LISTING_SUBSCRIBER], clock: () => now, deleteBatch: BATCH });
    const { passMs, cpuUs, postgresCpuSeconds: pgCpu, latencies: during } = await passUnderWrites(db.postmasterPid, () => writer.once(), async () => {
      const pass = await retention.pass();
      if (pass.traces !== TRACES) throw new Error(`the pass deleted ${pass.traces} traces, not ${TRACES}`);
    });
    const [left] = await sql<Array<{ events: number; spans: number; summaries: number }>>`
      select (select count(*)::int from events) as events, (select count(*)::int from span_index) as spans, (select count(*)::int from trace_summaries) as summaries`;

    process.stdout.write(
      [
        "",
        "| what | events | time ms | events/s | this process's CPU us per event (the pass and the writer) | PostgreSQL CPU us per event |",
        "|---|---|---|---|---|---|",
        `| baseline: append (group commits of ${TRACES_PER_BATCH * 2} traces' events) | ${num(seeded)} | ${ms(seedMs)} | ${num((seeded / seedMs) * 1000)} | | |`,
        `| retention pass: find + delete (events, listing rows) | ${num(seeded)} | ${ms(passMs)} | ${num((seeded / passMs) * 1000)} | ${(cpuUs / seeded).toFixed(2)} | ${(((pgCpu * 1e6) / seeded)).toFixed(2)} |`,
        "",
        "One-event appends, one after another (ms):",
        "",
        ...latencyTable("appends", baseline, during),
        "",
        `Left after the pass: ${num(left!.events)} events, ${num(left!.spans)} span_index rows, ${num(left!.summaries)} trace_summaries rows (the recent traces).`,
        "",
      ].join("\n"),
    );
  } finally {
    await sql.end({ timeout: 5 });
    await db.close();
  }
}


/** Appends one event to a new trace at a time, timing each, while some work runs. */
class Writer {
  private readonly template = serverEventsOfOneTrace(NOW).starts[0]!;

  constructor(private readonly store: PostgresEventStore) {}

  async once(): Promise<void> {
    const [result] = await this.store.appendMany([{ streamId: bytesToHex(randomBytes(16)), expectedVersion: 0, events: [{ eventId: randomUUID(), ...this.template }] }]);
    if (result instanceof Error) throw result;
  }

  during(work: () => Promise<unknown>): Promise<number[]> {
    return latenciesDuring(() => this.once(), work);
  }
}

await main();
