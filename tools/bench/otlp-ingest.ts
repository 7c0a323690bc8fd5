// OTLP ingest: spans per second durably stored (each export acknowledged only
// after its commit), from a load generator sending real OTLP
// ExportTraceServiceRequests, over OTLP/gRPC and OTLP/HTTP protobuf, against the
// raw PostgreSQL ceiling measured in the same run.
//
//   npx tsx tools/bench/otlp-ingest.ts [--quick] [--profile] [--lanes=N] [--server-flags="..."]
//
// Processes: this script (the ceiling, then orchestration), the traceledger
// server (`apps/server/src/main.ts` started as `npm start` starts it, its ListTraces projector
// running as in production) and one load process (support/load-otlp.ts), over
// loopback; plus PostgreSQL (DATABASE_URL's cluster, or an embedded one with
// durable settings). Then, as a diagnostic, the same gRPC load against
// support/server-in-process.ts with the ListTraces projector stopped (the
// write path alone), on its own database.
//
// Workload (support/otlp-workload.ts): 512-span requests as a BatchSpanProcessor
// sends them (one resource of 13 attributes, 64 traces of 8 spans with 2-8
// attributes each, some events and exceptions), `--lanes` requests in flight
// (default 4). Every request carries new traces. Spans acknowledged are counted
// from the answers (success with no rejected span); the events stored are
// checked against `select count(*) from events`.
//
// The ceiling (support/otlp-ceiling.ts): the same events the server stores for
// a request, into a bare copy of the events table over 4 connections, as unnest
// inserts and binary COPY; the faster is the ceiling. A span costs 2.36 events
// here (SpanStarted, SpanEnded, its events and exceptions, and a TraceStarted
// and TraceCompleted per 8 spans), so the ceiling in spans/s is the rows/s over
// 2.36.
//
// First, the OTLP path alone in this process (support/otlp-path.ts), so the
// server's cost can be split into the path's and everything else's.
//
// Target: >= 25,000 spans/s (issue 7). --profile runs the servers under
// --cpu-prof and prints where their main threads' time went, per span.

import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { MONITORING_STREAM_ID } from "../../apps/server/src/events/reserved-streams.js";
import { cores, forkHelper, machineLine, ms, num, openBenchDatabase, pct, postgresSettingsLine, serverFlagsFromArgv, startCpuMeter, startServerProcess } from "./support/bench-env.js";
import { profileReport, readProfile } from "./support/cpu-profile.js";
import type { OtlpJob, OtlpResult, OtlpTransport } from "./support/load-otlp.js";
import { eventsPerRequest, measureOtlpCeiling } from "./support/otlp-ceiling.js";
import { measureOtlpPath, PATH_STAGES } from "./support/otlp-path.js";
import { SPANS_PER_REQUEST } from "./support/otlp-workload.js";

const quick = process.argv.includes("--quick");
const profile = process.argv.includes("--profile");
const lanesArg = process.argv.find((a) => a.startsWith("--lanes="));
const LANES = lanesArg ? Number(lanesArg.slice("--lanes=".length)) : 4;
const nodeFlags = serverFlagsFromArgv();
const CEILING_LANES = 4;
const CEILING_BATCHES_PER_LANE = quick ? 15 : 50;
const WARMUP_MS = quick ? 2000 : 4000;
const MAIN_MS = quick ? 8000 : 25_000;
const DIAG_MS = quick ? 6000 : 15_000;
const TARGET_SPANS = 25_000;

interface Run {
  readonly name: string;
  readonly result: OtlpResult;
  readonly cpu: Record<string, number>;
  readonly stored: number;
  readonly acked: number;
}

async function main(): Promise<void> {
  const header = machineLine([quick ? "--quick" : "", `${LANES} requests in flight`, nodeFlags.length > 0 ? `server flags: ${nodeFlags.join(" ")}` : ""].filter(Boolean).join(" · "));
  const db = await openBenchDatabase("tl_bench_otlp");
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const sql = createPostgresClient(db.url, { max: CEILING_LANES, applicationName: "traceledger-bench" });
    cleanup.push(() => sql.end({ timeout: 5 }));
    await migrate(sql);
    const postgresLine = await postgresSettingsLine(sql, db.kind);
    const perRequest = eventsPerRequest(BigInt(Date.now()) * 1_000_000n);
    const eventsPerSpan = perRequest / SPANS_PER_REQUEST;

    process.stderr.write(`  the OTLP path in process...`);
    const pathCost = measureOtlpPath(quick ? 100 : 400);
    process.stderr.write(` ${num(pathCost.fold, 1)} µs per span\n`);

    process.stderr.write(`  ceiling...`);
    const ceiling = await measureOtlpCeiling(sql, CEILING_LANES, CEILING_BATCHES_PER_LANE);
    process.stderr.write(` ${num(ceiling.ceiling)} rows/s = ${num(ceiling.ceiling / eventsPerSpan)} spans/s\n`);

    const profileDir = profile ? await mkdtemp(path.join(tmpdir(), "traceledger-prof-")) : undefined;
    const diagProfileDir = profile ? await mkdtemp(path.join(tmpdir(), "traceledger-prof-")) : undefined;
    for (const dir of [profileDir, diagProfileDir]) if (dir) cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const load = await forkHelper<OtlpJob, OtlpResult>("load-otlp.ts");
    cleanup.unshift(() => load.helper.close());

    const ackedIn = new Map<string, number>();
    // Trace events only: the monitoring saga keeps its alerts in a reserved stream of the same table.
    const countIn = (client: typeof sql) => async () =>
      Number((await client<{ n: bigint }[]>`select count(*)::int8 as n from events where trace_id <> decode(${MONITORING_STREAM_ID}, 'hex')`)[0]!.n);
    const measure = async (name: string, transport: OtlpTransport, address: string, serverPid: number, durationMs: number, count: () => Promise<number>, database: string): Promise<Run> => {
      process.stderr.write(`  ${name}...`);
      const meter = await startCpuMeter({ server: serverPid, load: load.helper.pid }, { postgres: db.postmasterPid });
      const result = await load.helper.run({ transport, address, lanes: LANES, warmupMs: WARMUP_MS, durationMs }, WARMUP_MS + durationMs + 120_000);
      const cpu = await meter.stop();
      const stored = await count();
      const acked = (ackedIn.get(database) ?? 0) + result.requestsTotal * perRequest;
      ackedIn.set(database, acked);
      process.stderr.write(` ${num(result.spans / result.seconds)} spans/s${result.errors > 0 ? ` (${result.errors} errors: ${result.firstError})` : ""}\n`);
      return { name, result, cpu, stored, acked };
    };

    // 1. The server as it runs in production (main.ts, projector on): gRPC, then HTTP/protobuf.
    const server = await startServerProcess({ databaseUrl: db.url, cpuProfDir: profileDir, nodeFlags });
    cleanup.unshift(() => server.stop());
    const runs: Run[] = [];
    runs.push(await measure("OTLP/gRPC", "grpc", server.grpcAddress, server.pid, MAIN_MS, countIn(sql), "main"));
    runs.push(await measure("OTLP/HTTP protobuf", "http/protobuf", server.httpAddress, server.pid, MAIN_MS, countIn(sql), "main"));
    await server.stop();

    // 2. Diagnostic: the same composition root with the projector stopped.
    const diagUrl = await db.another("tl_bench_otlp_diag");
    const diagSql = createPostgresClient(diagUrl, { max: 1, applicationName: "traceledger-bench" });
    cleanup.push(() => diagSql.end({ timeout: 5 }));
    const diag = await forkHelper<{ stop?: boolean }, object, { address: string }>("server-in-process.ts", [JSON.stringify({ databaseUrl: diagUrl, stopProjector: true })], { cpuProfDir: diagProfileDir, nodeFlags });
    cleanup.unshift(() => diag.helper.close());
    const diagRun = await measure("OTLP/gRPC, projector stopped", "grpc", diag.ready.address, diag.helper.pid, DIAG_MS, countIn(diagSql), "diagnostic");
    await diag.helper.run({ stop: true }, 30_000);
    await diag.helper.close();

    console.log(`# OTLP ingest — spans/s durably stored, against the raw PostgreSQL ceiling\n`);
    console.log(header);
    console.log(postgresLine);
    console.log(
      `Requests of ${SPANS_PER_REQUEST} spans (${num(runs[0]!.result.requestBytes / 1024, 1)} KiB), ${LANES} in flight; ${perRequest} events stored per request (${num(eventsPerSpan, 2)} per span), ` +
        `mean event payload ${num(ceiling.meanPayload)} bytes. ${num(WARMUP_MS / 1000)} s warm-up, then ${num(MAIN_MS / 1000)} s measured (diagnostic ${num(DIAG_MS / 1000)} s). ` +
        `Ceiling: ${num(ceiling.rows)} rows per method in ${num(ceiling.rowsPerBatch)}-row batches over ${CEILING_LANES} connections.\n`,
    );
    console.log(`| what | spans/s | events/s | of ceiling | ≥ 25,000 spans/s | ack p50 / p99 ms | server CPU (cores) | server CPU µs per span | postgres CPU | load CPU | machine busy | stored = acked |`);
    console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|`);
    console.log(`| baseline: multi-row unnest insert | ${num(ceiling.unnest / eventsPerSpan)} | ${num(ceiling.unnest)} | ${pct(ceiling.unnest / ceiling.ceiling)} | | | | | | | | |`);
    console.log(`| baseline: binary COPY | ${num(ceiling.copy / eventsPerSpan)} | ${num(ceiling.copy)} | ${pct(ceiling.copy / ceiling.ceiling)} | | | | | | | | |`);
    for (const run of [...runs, diagRun]) {
      const spans = run.result.spans / run.result.seconds;
      const events = spans * eventsPerSpan;
      const main = run !== diagRun;
      console.log(
        `| ${main ? `**traceledger (main.ts), ${run.name}**` : `diagnostic: ${run.name}`} | ${num(spans)} | ${num(events)} | ${pct(events / ceiling.ceiling)} | ${main ? (spans >= TARGET_SPANS ? "met" : "MISSED") : ""} | ` +
          `${ms(run.result.ackP50)} / ${ms(run.result.ackP99)} | ${cores(run.cpu["server"])} | ${num((run.cpu["server"]! / spans) * 1e6, 1)} | ${cores(run.cpu["postgres"])} | ${cores(run.cpu["load"])} | ${cores(run.cpu["machine"])} | ` +
          `${run.stored === run.acked ? "yes" : "NO"} (${num(run.stored)} stored, ${num(run.acked)} acked) |`,
      );
    }
    console.log(
      `\nCPU columns: cores per wall second during the run, warm-up included (the machine has ${cpus().length}); "postgres" is the embedded cluster's processes (n/a with DATABASE_URL); ` +
        `"machine busy" counts every process, ours and others'. Server CPU µs per span = server cores / spans per second: the steadiest figure on a busy machine.`,
    );
    console.log(
      `\nThe OTLP path in process, no I/O (support/otlp-path.ts: the server's own functions on these requests, each stage including the ones before), CPU µs per span: ` +
        PATH_STAGES.map((stage) => `${stage} ${num(pathCost[stage], 1)}`).join(" · ") +
        `. What the server spends beyond it goes to the store, postgres.js, the subscribers and GC.`,
    );
    for (const run of [...runs, diagRun]) if (run.result.errors > 0) console.log(`\n${run.name}: ${run.result.errors} failed requests; first: ${run.result.firstError}`);
    if (profileDir && diagProfileDir) {
      const mainSpans = runs.reduce((n, r) => n + r.result.requestsTotal * SPANS_PER_REQUEST, 0);
      for (const [title, dir, count] of [
        [`main.ts server (gRPC + HTTP runs)`, profileDir, mainSpans],
        [`diagnostic server without projector (gRPC)`, diagProfileDir, diagRun.result.requestsTotal * SPANS_PER_REQUEST],
      ] as const) {
        const data = await readProfile(dir);
        const perUnit = { count, unit: "span" };
        console.log(profileReport(`Server CPU profile: ${title}, ${num(count)} spans stored`, data, 30, perUnit));
      }
    }
    if ([...runs, diagRun].some((r) => r.stored !== r.acked)) process.exitCode = 1;
  } finally {
    for (const step of cleanup) await step().catch((error: unknown) => console.error(error));
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
