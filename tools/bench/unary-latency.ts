// Unary StartSpan + EndSpan through the gRPC port, against a bare grpc-js echo
// server measured in the same run, at 1, 16 and 64 calls in flight.
//
//   npx tsx tools/bench/unary-latency.ts [--quick] [--profile] [--profile-dir=DIR] [--levels=1,16,64] [--server-flags="..."]
//
// Processes: this script (orchestration only), the traceledger server
// (`apps/server/src/main.ts` started as `npm start` starts it), the echo server
// (support/echo-server.ts), a diagnostic second traceledger
// (support/server-in-process.ts: the same composition root with its ListTraces
// projector stopped, on its own database) and one load process
// (support/load-unary.ts, a stock @grpc/grpc-js client with protobuf-es
// serialisers), all over loopback; plus PostgreSQL (DATABASE_URL's cluster, or an
// embedded one with durable settings).
//
// Per trace the load sends StartTrace (root), 20 x (StartSpan + EndSpan) children
// with client-chosen span ids, then EndSpan of the root; the echo server answers
// the same paths with canned responses of traceledger's sizes. After one
// unmeasured warm-up round per server, for each level of concurrency the phases
// run echo, traceledger, diagnostic; after each
// traceledger phase the script waits until that server is idle again (its
// projector catching up must not be charged to the next phase).
//
// Targets: traceledger >= 70% of echo calls/s, and p99 <= 2x echo p99, at the
// same concurrency. A durable ack costs at least one commit (an fsync); the
// "commit floor" line measures that round trip from this process. The main
// server's group commits per phase (how many, events each, mean wall, time with
// one in flight) come from its /metrics: they show whether calls wait on PostgreSQL.
//
// --profile runs the main.ts server under --cpu-prof and prints where its main
// thread's time went (all its phases together); --profile-dir=DIR does the same
// and keeps the .cpuprofile in DIR (for Chrome DevTools); --levels picks the concurrencies
// (e.g. --levels=64 to profile one of them alone); --server-flags adds node flags to both
// traceledger servers, after npm start's (experiments such as GC or JIT flags).

import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { createPostgresClient, type Sql } from "../../apps/server/src/database/open-database.js";
import { cores, forkHelper, machineLine, ms, num, openBenchDatabase, pct, SERVER_NODE_FLAGS, serverFlagsFromArgv, startCpuMeter, startServerProcess, waitUntilQuiet } from "./support/bench-env.js";
import { profileReport, readProfile } from "./support/cpu-profile.js";
import { type GroupCommitFigures, groupCommitsBetween, scrapeGroupCommits } from "./support/group-commit-metrics.js";
import type { UnaryJob, UnaryResult } from "./support/load-unary.js";
import { percentile } from "./support/stats.js";

const quick = process.argv.includes("--quick");
const nodeFlags = serverFlagsFromArgv();
const keptProfileDir = process.argv.find((a) => a.startsWith("--profile-dir="))?.slice("--profile-dir=".length);
const profile = process.argv.includes("--profile") || keptProfileDir !== undefined;
const levelsArg = process.argv.find((a) => a.startsWith("--levels="));
// The concurrencies to run; the issue's targets are at 1, 16 and 64 (the default).
const LEVELS = levelsArg ? levelsArg.slice("--levels=".length).split(",").map(Number) : [1, 16, 64];
if (LEVELS.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--levels takes positive integers, e.g. --levels=16,64; got ${levelsArg}`);
const WARMUP_MS = quick ? 600 : 2000;
const DURATION_MS = quick ? 2000 : 10_000;
const CHILDREN = 20;
const MAX_CALLS = 5_000_000;

interface Phase {
  result: UnaryResult;
  cpu: Record<string, number>;
  /** PostgreSQL transactions (xact_commit) in the server's database per call (warm-up included). */
  xactPerCall: number;
  /** The main.ts server's group commits during the phase (warm-up included), from its /metrics. */
  commits?: GroupCommitFigures;
}

async function main(): Promise<void> {
  const extraFlags = nodeFlags.slice(SERVER_NODE_FLAGS.length);
  const header = machineLine([quick ? "--quick" : "", extraFlags.length > 0 ? `server flags: ${extraFlags.join(" ")}` : ""].filter(Boolean).join(" · "));
  const db = await openBenchDatabase("tl_bench_unary");
  const cleanup: Array<() => Promise<void>> = [];
  try {
    // The commit floor: one single-row insert + commit, one at a time, from this process.
    const sql = createPostgresClient(db.url, { max: 1, applicationName: "traceledger-bench" });
    cleanup.push(() => sql.end({ timeout: 5 }));
    await sql`create table commit_floor (id serial primary key, payload bytea not null)`;
    const floor: number[] = [];
    for (let i = 0; i < (quick ? 150 : 500); i++) {
      const t = performance.now();
      await sql`insert into commit_floor (payload) values (${Buffer.alloc(200, i % 256)})`;
      if (i >= 50) floor.push(performance.now() - t);
    }
    const [pg] = await sql<{ version: string; synchronous_commit: string; fsync: string }[]>`
      select current_setting('server_version') as version, current_setting('synchronous_commit') as synchronous_commit, current_setting('fsync') as fsync`;

    const profileDir = keptProfileDir ?? (profile ? await mkdtemp(path.join(tmpdir(), "traceledger-prof-")) : undefined);
    if (profileDir && !keptProfileDir) cleanup.push(() => rm(profileDir, { recursive: true, force: true }));
    const server = await startServerProcess({ databaseUrl: db.url, cpuProfDir: profileDir, nodeFlags });
    cleanup.unshift(() => server.stop());
    const diagUrl = await db.another("tl_bench_unary_diag");
    const diagSql = createPostgresClient(diagUrl, { max: 1, applicationName: "traceledger-bench" });
    cleanup.push(() => diagSql.end({ timeout: 5 }));
    const diag = await forkHelper<{ stop?: boolean }, object, { address: string }>("server-in-process.ts", [JSON.stringify({ databaseUrl: diagUrl, stopProjector: true })], { nodeFlags });
    cleanup.unshift(async () => {
      await diag.helper.run({ stop: true }, 30_000).catch(() => {});
      await diag.helper.close();
    });
    const echo = await forkHelper<object, object, { address: string; sizes: Record<string, number> }>("echo-server.ts");
    cleanup.unshift(() => echo.helper.close());
    const load = await forkHelper<UnaryJob, UnaryResult>("load-unary.ts");
    cleanup.unshift(() => load.helper.close());

    const commits = async (client: Sql) =>
      Number((await client<{ n: bigint }[]>`select xact_commit as n from pg_stat_database where datname = current_database()`)[0]!.n);
    const phase = async (address: string, concurrency: number, serverPid: number, dbClient?: Sql, metricsAddress?: string): Promise<Phase> => {
      const job: UnaryJob = { address, concurrency, warmupMs: WARMUP_MS, durationMs: DURATION_MS, maxCalls: MAX_CALLS, childrenPerTrace: CHILDREN };
      const x0 = dbClient ? await commits(dbClient) : NaN;
      const g0 = metricsAddress ? await scrapeGroupCommits(metricsAddress) : undefined;
      // The meter spans warm-up and measurement; the warm-up is short beside it.
      const meter = await startCpuMeter({ server: serverPid, load: load.helper.pid }, { postgres: db.postmasterPid });
      const result = await load.helper.run(job, WARMUP_MS + DURATION_MS + 60_000);
      const cpu = await meter.stop();
      const g1 = metricsAddress ? await scrapeGroupCommits(metricsAddress) : undefined;
      if (dbClient) await waitUntilQuiet(serverPid);
      const x1 = dbClient ? await commits(dbClient) : NaN;
      if (result.errors > 0) throw new Error(`${result.errors} calls failed at ${concurrency} in flight: ${result.firstError}`);
      return { result, cpu, xactPerCall: (x1 - x0) / result.allCalls, commits: g0 && g1 ? groupCommitsBetween(g0, g1) : undefined };
    };

    // Each server's first calls pay for lazily loaded modules and the JIT, CPU that
    // would land on whichever level runs first (a --quick run charged 2,598 us per call
    // to 1 in flight; warmed full runs show ~730-840). One unmeasured round at 16 in
    // flight warms all three.
    process.stderr.write(`  warming up the servers...`);
    for (const address of [echo.ready.address, server.grpcAddress, diag.ready.address]) {
      await load.helper.run({ address, concurrency: 16, warmupMs: 0, durationMs: WARMUP_MS, maxCalls: MAX_CALLS, childrenPerTrace: CHILDREN }, WARMUP_MS + 60_000);
    }
    await waitUntilQuiet(server.pid);
    await waitUntilQuiet(diag.helper.pid);
    process.stderr.write(` done\n`);

    const rows: Array<{ concurrency: number; echo: Phase; tl: Phase; diag: Phase }> = [];
    for (const concurrency of LEVELS) {
      process.stderr.write(`  ${concurrency} in flight: echo...`);
      const e = await phase(echo.ready.address, concurrency, echo.helper.pid);
      process.stderr.write(` traceledger...`);
      const t = await phase(server.grpcAddress, concurrency, server.pid, sql, server.httpAddress);
      process.stderr.write(` traceledger without projector...`);
      const d = await phase(diag.ready.address, concurrency, diag.helper.pid, diagSql);
      process.stderr.write(` done\n`);
      rows.push({ concurrency, echo: e, tl: t, diag: d });
    }

    const sizes = rows[0]!.tl.result.requestBytes;
    const rate = (p: Phase) => p.result.calls / p.result.seconds;
    console.log(`# Unary StartSpan + EndSpan over gRPC (grpc-js client) — traceledger vs a bare grpc-js echo server\n`);
    console.log(`${header}`);
    console.log(`PostgreSQL ${pg!.version} (${db.kind}), fsync=${pg!.fsync}, synchronous_commit=${pg!.synchronous_commit}`);
    console.log(
      `Per trace: StartTrace + ${CHILDREN} x (StartSpan + EndSpan) + EndSpan root; request bytes StartTrace ${sizes["StartTrace"]}, StartSpan ${sizes["StartSpan"]}, EndSpan ${sizes["EndSpan"]}; ` +
        `echo response bytes ${Object.entries(echo.ready.sizes).map(([k, v]) => `${k} ${v}`).join(", ")}. ` +
        `${num(WARMUP_MS / 1000, 1)} s warm-up + ${num(DURATION_MS / 1000, 1)} s measured per phase; one HTTP/2 connection; every call acknowledged after commit.\n`,
    );
    console.log(
      `| in flight | echo calls/s (baseline) | traceledger calls/s | traceledger pairs/s | throughput ratio (target ≥ 70%) | echo p50 / p99 ms | traceledger p50 / p99 ms | p99 ratio (target ≤ 2x) | server CPU (cores) | server CPU µs per call | postgres CPU | load CPU | whole machine busy | PG transactions per call |`,
    );
    console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|---|---|`);
    for (const { concurrency, echo: e, tl } of rows) {
      const ratio = rate(tl) / rate(e);
      const p99ratio = tl.result.p99 / e.result.p99;
      console.log(
        `| ${concurrency} | ${num(rate(e))} | ${num(rate(tl))} | ${num(tl.result.pairs / tl.result.seconds)} | ${pct(ratio)} ${ratio >= 0.7 ? "met" : "MISSED"} | ` +
          `${ms(e.result.p50)} / ${ms(e.result.p99)} | ${ms(tl.result.p50)} / ${ms(tl.result.p99)} | ${num(p99ratio, 1)}x ${p99ratio <= 2 ? "met" : "MISSED"} | ` +
          `${cores(tl.cpu["server"])} (echo ${cores(e.cpu["server"])}) | ${num((tl.cpu["server"]! / rate(tl)) * 1e6)} (echo ${num((e.cpu["server"]! / rate(e)) * 1e6)}) | ${cores(tl.cpu["postgres"])} | ${cores(tl.cpu["load"])} (echo phase ${cores(e.cpu["load"])}) | ${cores(tl.cpu["machine"])} (echo phase ${cores(e.cpu["machine"])}) | ${num(tl.xactPerCall, 2)} |`,
      );
    }
    console.log(`\nDiagnostic, same run: the same server with its ListTraces projector stopped (support/server-in-process.ts), against the same echo phases.\n`);
    console.log(`| in flight | calls/s | ratio to echo | p50 / p99 ms | p99 ratio | server CPU | server CPU µs per call | postgres CPU | PG transactions per call |`);
    console.log(`|---|---|---|---|---|---|---|---|---|`);
    for (const { concurrency, echo: e, diag: d } of rows) {
      console.log(
        `| ${concurrency} | ${num(rate(d))} | ${pct(rate(d) / rate(e))} | ${ms(d.result.p50)} / ${ms(d.result.p99)} | ${num(d.result.p99 / e.result.p99, 1)}x | ${cores(d.cpu["server"])} | ${num((d.cpu["server"]! / rate(d)) * 1e6)} | ${cores(d.cpu["postgres"])} | ${num(d.xactPerCall, 2)} |`,
      );
    }
    console.log(
      `\nGroup commits of the main.ts server during each phase (warm-up included), from its /metrics: when they are busy only part of the time, ` +
        `calls wait on their round trips through the client and the server's event loop, not on PostgreSQL.\n`,
    );
    console.log(`| in flight | group commits | events per commit | mean commit ms | commits in flight (time-averaged, at most 2) |`);
    console.log(`|---|---|---|---|---|`);
    for (const { concurrency, tl } of rows) {
      const c = tl.commits!;
      console.log(`| ${concurrency} | ${num(c.commits)} | ${num(c.eventsPerCommit, 1)} | ${ms(c.meanMs)} | ${num(c.meanInFlight, 2)} |`);
    }
    console.log(`\nCommit floor (same run): one single-row INSERT + commit through postgres.js, one at a time: p50 ${ms(percentile(floor, 50))} ms, p99 ${ms(percentile(floor, 99))} ms.`);
    console.log(
      `CPU columns are cores used per wall second during each phase (the machine has ${cpus().length}); "postgres" is the embedded cluster's processes (n/a with DATABASE_URL); "whole machine busy" counts every process, ours and others'. ` +
        `PG transactions per call: xact_commit of the server's database (every statement outside a transaction counts as one: appends, the projector's reads and writes) per call, warm-up and catch-up included.`,
    );
    if (profileDir) {
      await server.stop();
      const data = await readProfile(profileDir);
      const perUnit = { count: rows.reduce((n, r) => n + r.tl.result.allCalls, 0), unit: "call" };
      console.log(profileReport(`Server CPU profile (main.ts server, all its phases, ${num(perUnit.count)} calls)`, data, 25, perUnit));
    }
  } finally {
    for (const step of cleanup) await step().catch((error: unknown) => console.error(error));
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
