// Durable span ingest through IngestBatch, against the raw PostgreSQL ceiling
// measured in the same run.
//
//   npx tsx tools/bench/ingest-throughput.ts [--quick] [--profile] [--server-flags="--single-threaded-gc"]
//
// Processes: this script (the ceiling, then orchestration), the traceledger
// server (`apps/server/src/main.ts` started as `npm start` starts it, its ListTraces projector
// running as in production) and one load process (support/load-ingest.ts, a stock
// @grpc/grpc-js client, 4 batches in flight), over loopback; plus PostgreSQL
// (DATABASE_URL's cluster, or an embedded one with durable settings). Then, as a
// diagnostic, the same load against support/server-in-process.ts: the same
// composition root with its ListTraces projector stopped (the write path alone),
// on its own database, after the main server has stopped; and once more with the
// monitoring saga off as well (MONITORING_ENABLED=false): the write path alone.
//
// Workload (support/ingest-workload.ts): 500-command batches of realistic span
// commands, 12 events stored per trace. "lifecycle": a batch starts 50 traces and
// ends the 50 its lane started in its previous batch; "whole": 50 complete traces.
// Events acknowledged are counted from the responses (each trace's highest
// acknowledged stream version) and checked against `select count(*) from events`.
//
// The ceiling (support/pg-ceiling.ts): the same events, as the server encodes
// them, into a bare copy of the events table over 4 connections, as unnest inserts
// and as binary COPY; the faster is the ceiling.
//
// After the main run, the server's /metrics say how many of the log's events its
// subscribers (projector, saga) read from PostgreSQL and how many its read window served.
//
// Targets: >= 60% of the ceiling and >= 60,000 events/s (the main run).
// --profile runs both servers under --cpu-prof and prints where their main
// threads' time went, per event stored. The servers run with npm start's node
// flags (package.json); --server-flags adds more to both (experiments such as GC
// settings).

import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { cores, forkHelper, machineLine, ms, num, openBenchDatabase, pct, postgresSettingsLine, serverFlagsFromArgv, sleep, startCpuMeter, startServerProcess } from "./support/bench-env.js";
import { profileReport, readProfile } from "./support/cpu-profile.js";
import { EVENTS_PER_TRACE, type Layout } from "./support/ingest-workload.js";
import type { IngestJob, IngestResult } from "./support/load-ingest.js";
import { measureCeiling } from "./support/pg-ceiling.js";
import { scrapeMetricValues } from "./support/server-metric-values.js";

const quick = process.argv.includes("--quick");
const profile = process.argv.includes("--profile");
const nodeFlags = serverFlagsFromArgv();
const LANES = 4;
const CEILING_BATCHES_PER_LANE = quick ? 30 : 100;
const WARMUP_MS = quick ? 2000 : 3000;
const MAIN_MS = quick ? 8000 : 30_000;
const DIAG_MS = quick ? 6000 : 20_000;
/** How long to wait for the projector to catch up after the main run. */
const CATCH_UP_MS = quick ? 8000 : 30_000;
const TARGET_RATIO = 0.6;
const TARGET_RATE = 60_000;

interface Run {
  name: string;
  result: IngestResult;
  cpu: Record<string, number>;
  /** Events in the run's database after it, and events acknowledged there so far (runs share a database). */
  stored: number;
  acked: number;
}

async function main(): Promise<void> {
  const header = machineLine([quick ? "--quick" : "", nodeFlags.length > 0 ? `server flags: ${nodeFlags.join(" ")}` : ""].filter(Boolean).join(" · "));
  const db = await openBenchDatabase("tl_bench_ingest");
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const sql = createPostgresClient(db.url, { max: LANES, applicationName: "traceledger-bench" });
    cleanup.push(() => sql.end({ timeout: 5 }));
    await migrate(sql);
    const postgresLine = await postgresSettingsLine(sql, db.kind);

    process.stderr.write(`  ceiling...`);
    const ceiling = await measureCeiling(sql, LANES, CEILING_BATCHES_PER_LANE);
    process.stderr.write(` ${num(ceiling.ceiling)} rows/s\n`);

    const profileDir = profile ? await mkdtemp(path.join(tmpdir(), "traceledger-prof-")) : undefined;
    const diagProfileDir = profile ? await mkdtemp(path.join(tmpdir(), "traceledger-prof-")) : undefined;
    const bareProfileDir = profile ? await mkdtemp(path.join(tmpdir(), "traceledger-prof-")) : undefined;
    for (const dir of [profileDir, diagProfileDir, bareProfileDir]) if (dir) cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const load = await forkHelper<IngestJob, IngestResult>("load-ingest.ts");
    cleanup.unshift(() => load.helper.close());

    const ackedIn = new Map<string, number>();
    const measure = async (name: string, address: string, serverPid: number, layout: Layout, durationMs: number, count: () => Promise<number>, database: string): Promise<Run> => {
      process.stderr.write(`  ${name}...`);
      const meter = await startCpuMeter({ server: serverPid, load: load.helper.pid }, { postgres: db.postmasterPid });
      const job: IngestJob = { address, layout, lanes: LANES, warmupMs: WARMUP_MS, durationMs, maxBatchesPerLane: 100_000 };
      const result = await load.helper.run(job, WARMUP_MS + durationMs + 120_000);
      const cpu = await meter.stop();
      const stored = await count();
      const acked = (ackedIn.get(database) ?? 0) + result.eventsTotal;
      ackedIn.set(database, acked);
      process.stderr.write(` ${num(result.events / result.seconds)} events/s\n`);
      return { name, result, cpu, stored, acked };
    };
    // Trace events only: the monitoring saga stores its alerts in the same table (the all-zero stream).
    const countIn = (client: typeof sql) => async () =>
      Number((await client<{ n: bigint }[]>`select count(*)::int8 as n from events where trace_id <> ${Buffer.alloc(16)}`)[0]!.n);

    // 1. The server as it runs in production (main.ts, projector on).
    const server = await startServerProcess({ databaseUrl: db.url, cpuProfDir: profileDir, nodeFlags });
    cleanup.unshift(() => server.stop());
    const main = await measure("traceledger (main.ts), lifecycle", server.grpcAddress, server.pid, "lifecycle", MAIN_MS, countIn(sql), "main");
    // How far behind the ListTraces projector is when the load stops, and how long it takes to catch up.
    const behind = async () =>
      Number((await sql<{ n: bigint }[]>`
        select count(*)::int8 as n from events e
         where not exists (select 1 from subscriber_checkpoints c
                            where c.subscriber_id = 'trace-listing' and (e.tx_id, e.position) <= (c.tx_id, c.position))`)[0]!.n);
    const lagAtEnd = await behind();
    const catchUpStart = performance.now();
    let lagNow = lagAtEnd;
    while (lagNow > 0 && performance.now() - catchUpStart < CATCH_UP_MS) {
      await sleep(500);
      lagNow = await behind();
    }
    const catchUpSeconds = (performance.now() - catchUpStart) / 1000;
    const metricValues = await scrapeMetricValues(server.httpAddress);
    const logReads = { database: metricValues("traceledger_log_events_read_total", { source: "database" }), window: metricValues("traceledger_log_events_read_total", { source: "window" }) };
    await server.stop();

    // 2. Diagnostic: the same composition root with the projector stopped: the write path alone.
    const diagUrl = await db.another("tl_bench_ingest_diag");
    const diagSql = createPostgresClient(diagUrl, { max: 1, applicationName: "traceledger-bench" });
    cleanup.push(() => diagSql.end({ timeout: 5 }));
    const diag = await forkHelper<{ stop?: boolean }, object, { address: string }>("server-in-process.ts", [JSON.stringify({ databaseUrl: diagUrl, stopProjector: true })], { cpuProfDir: diagProfileDir, nodeFlags });
    cleanup.unshift(() => diag.helper.close());
    const diagRuns: Run[] = [];
    diagRuns.push(await measure("without projector, lifecycle", diag.ready.address, diag.helper.pid, "lifecycle", DIAG_MS, countIn(diagSql), "diagnostic"));
    if (!quick) diagRuns.push(await measure("without projector, whole traces", diag.ready.address, diag.helper.pid, "whole", DIAG_MS, countIn(diagSql), "diagnostic"));
    await diag.helper.run({ stop: true }, 30_000);
    await diag.helper.close();

    // 3. Diagnostic: also without the monitoring saga (MONITORING_ENABLED=false): what the write path costs alone.
    const bareUrl = await db.another("tl_bench_ingest_bare");
    const bareSql = createPostgresClient(bareUrl, { max: 1, applicationName: "traceledger-bench" });
    cleanup.push(() => bareSql.end({ timeout: 5 }));
    const bare = await forkHelper<{ stop?: boolean }, object, { address: string }>(
      "server-in-process.ts",
      [JSON.stringify({ databaseUrl: bareUrl, stopProjector: true, env: { MONITORING_ENABLED: "false" } })],
      { cpuProfDir: bareProfileDir, nodeFlags },
    );
    cleanup.unshift(() => bare.helper.close());
    diagRuns.push(await measure("without projector and saga, lifecycle", bare.ready.address, bare.helper.pid, "lifecycle", DIAG_MS, countIn(bareSql), "bare"));
    await bare.helper.run({ stop: true }, 30_000);
    await bare.helper.close();

    console.log(`# Durable span ingest (IngestBatch over gRPC) — traceledger vs the raw PostgreSQL ceiling\n`);
    console.log(header);
    console.log(postgresLine);
    const r0 = main.result;
    console.log(
      `Batches of ${r0.commandsPerBatch} commands (${num(r0.requestBytes / 1024, 1)} KiB), ${LANES} in flight, one HTTP/2 connection; ${EVENTS_PER_TRACE} events stored per trace; ` +
        `mean event payload ${num(ceiling.meanPayload)} bytes. ${num(WARMUP_MS / 1000)} s warm-up, then ${num(MAIN_MS / 1000)} s measured (diagnostics ${num(DIAG_MS / 1000)} s). ` +
        `Ceiling: ${num(ceiling.rows)} rows per method in ~${num(ceiling.rowsPerBatch)}-row batches over ${LANES} connections.\n`,
    );
    console.log(`| what | events/s | % of ceiling (target ≥ 60%) | ≥ 60,000/s | ack p50 / p99 ms | server CPU (cores) | server CPU µs per event | postgres CPU | load CPU | whole machine busy | stored = acked |`);
    console.log(`|---|---|---|---|---|---|---|---|---|---|---|`);
    console.log(`| baseline: multi-row unnest insert | ${num(ceiling.unnest)} | ${pct(ceiling.unnest / ceiling.ceiling)} | | | | | | | | |`);
    console.log(`| baseline: binary COPY | ${num(ceiling.copy)} | ${pct(ceiling.copy / ceiling.ceiling)} | | | | | | | | |`);
    for (const run of [main, ...diagRuns]) {
      const rate = run.result.events / run.result.seconds;
      const ratio = rate / ceiling.ceiling;
      const label = run === main ? `**${run.name}**` : `diagnostic: ${run.name}`;
      console.log(
        `| ${label} | ${num(rate)} | ${pct(ratio)}${run === main ? (ratio >= TARGET_RATIO ? " met" : " MISSED") : ""} | ${run === main ? (rate >= TARGET_RATE ? "met" : "MISSED") : ""} | ` +
          `${ms(run.result.ackP50)} / ${ms(run.result.ackP99)} | ${cores(run.cpu["server"])} | ${num((run.cpu["server"]! / rate) * 1e6, 1)} | ${cores(run.cpu["postgres"])} | ${cores(run.cpu["load"])} | ${cores(run.cpu["machine"])} | ` +
          `${run.stored === run.acked ? "yes" : "NO"} (${num(run.stored)} stored, ${num(run.acked)} acked) |`,
      );
    }
    console.log(
      `\nCPU columns: cores per wall second during the run, warm-up included (the machine has ${cpus().length}); "postgres" is the embedded cluster's processes (n/a with DATABASE_URL); "whole machine busy" counts every process, ours and others'. ` +
        `Server CPU µs per event = server cores / events per second (all its threads): the steadiest figure on a busy machine. ` +
        `ListTraces projector: ${num(lagAtEnd)} events behind when the main run's load stopped; ` +
        (lagNow === 0 ? `caught up ${num(catchUpSeconds, 1)} s later.` : `still ${num(lagNow)} behind after ${num(catchUpSeconds, 1)} s.`) +
        ` The main server's subscribers (projector, saga) took ${num(logReads.database)} events of the log from PostgreSQL and ${num(logReads.window)} from its read window (its /metrics).` +
        ` The diagnostic servers are the same composition root (startTraceledger) with its projector stopped (and, in the last row, the monitoring saga off), each on its own database.`,
    );
    for (const run of [main, ...diagRuns]) {
      if (run.result.callErrors > 0 || run.result.commandErrors > 0) console.log(`\n${run.name}: ${run.result.callErrors} failed calls, ${run.result.commandErrors} rejected commands; first: ${run.result.firstError}`);
    }
    if (profileDir && diagProfileDir && bareProfileDir) {
      const withSaga = diagRuns.filter((r) => !r.name.includes("saga"));
      const bareRun = diagRuns.find((r) => r.name.includes("saga"))!;
      for (const [title, dir, count] of [
        [`main.ts server (main run + projector catch-up)`, profileDir, main.result.eventsTotal],
        [`diagnostic server without projector (${withSaga.map((r) => r.name).join(" + ")})`, diagProfileDir, withSaga.reduce((n, r) => n + r.result.eventsTotal, 0)],
        [`diagnostic server without projector and saga`, bareProfileDir, bareRun.result.eventsTotal],
      ] as const) {
        const data = await readProfile(dir);
        const perUnit = { count, unit: "event" };
        console.log(profileReport(`Server CPU profile: ${title}, ${num(count)} events stored`, data, 30, perUnit));
      }
    }
    if ([main, ...diagRuns].some((r) => r.stored !== r.acked)) process.exitCode = 1;
  } finally {
    for (const step of cleanup) await step().catch((error: unknown) => console.error(error));
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
