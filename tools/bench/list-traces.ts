// ListTraces over 1M stored spans, and GetTrace of a 1,000-span trace, through
// the gRPC port, beside baselines measured in the same run from the same load
// process: a `select 1` round trip, the unfiltered page query run directly through
// postgres.js, and the raw read of the trace's events.
//
//   npx tsx tools/bench/list-traces.ts [--quick] [--profile]
//
// Data: span_index and trace_summaries are written directly with bulk SQL
// (support/listing-data.ts: 100,000 traces x 10 spans; --quick 20,000 traces),
// then ANALYZE; the 1,000-span trace is appended to the event store as the
// server's own code encodes it (support/big-trace.ts). Then the server starts
// (`apps/server/src/main.ts` started as `npm start` starts it, its projector picks up that one
// trace) and a load process (support/load-list.ts, stock @grpc/grpc-js client)
// calls one at a time, each case until N samples or a time bound.
//
// GetTrace is measured now and as of random versions, first with the server as it
// runs by default (view cache on), then on a second server process over the same
// data with the cache off (TRACELEDGER_VIEW_CACHE_MB=0): every read there starts
// from a stored snapshot, as on a replica that never read the trace. Each run
// also times its first calls: on the first server, before any snapshot existed.
//
// Targets: ListTraces p95 <= 100 ms for every filter; GetTrace p95 <= 5 ms.
// --profile runs the server under --cpu-prof and prints where its main thread's
// time went (ListTraces and GetTrace calls together).

import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { StatusCode } from "@traceledger/proto";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { eventIdentity } from "../../apps/server/src/domain/trace/trace-event.js";
import { bytesToHex } from "../../apps/server/src/domain/trace/w3c-ids.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { deriveEventId } from "../../apps/server/src/events/event-id.js";
import { encodeTraceEvent, occurredAt } from "../../apps/server/src/events/trace-event-codec.js";
import { forkHelper, machineLine, ms, num, openBenchDatabase, startServerProcess, waitUntilQuiet } from "./support/bench-env.js";
import { bigTraceEvents } from "./support/big-trace.js";
import { profileReport, readProfile } from "./support/cpu-profile.js";
import { BACKENDS, HOUR_NS, RARE, seedListing, SPAN_NAMES } from "./support/listing-data.js";
import type { Latency, ListCase, ListJob, ListResult } from "./support/load-list.js";

const quick = process.argv.includes("--quick");
const profile = process.argv.includes("--profile");
const TRACES = quick ? 20_000 : 100_000;
const SAMPLES = quick ? 30 : 200;
const MAX_MS_PER_CASE = quick ? 1000 : 8000;
const BIG_TRACE = "b16b16b16b16b16b16b16b16b16b16b1";
const BIG_SPANS = 1000;
const LIST_TARGET_MS = 100;
const GET_TARGET_MS = 5;

async function main(): Promise<void> {
  const header = machineLine(quick ? "--quick" : "");
  const db = await openBenchDatabase("tl_bench_list");
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const sql = createPostgresClient(db.url, { max: 4, applicationName: "traceledger-bench" });
    cleanup.push(() => sql.end({ timeout: 5 }));
    await migrate(sql);
    const [pg] = await sql<{ version: string; shared_buffers: string }[]>`
      select current_setting('server_version') as version, current_setting('shared_buffers') as shared_buffers`;

    process.stderr.write(`  seeding ${num(TRACES)} traces x 10 spans...`);
    const seed = await seedListing(sql, TRACES);
    process.stderr.write(` ${num(Object.values(seed.seconds).reduce((a, b) => a + b, 0), 1)} s\n`);

    const events = bigTraceEvents(BIG_TRACE, BIG_SPANS, BigInt(Date.now() - 3_600_000) * 1_000_000n);
    await new PostgresEventStore(sql).append({
      streamId: BIG_TRACE,
      expectedVersion: "no_stream",
      events: events.map((e) => ({ eventId: deriveEventId(BIG_TRACE, eventIdentity(e, bytesToHex)), ...encodeTraceEvent(e), occurredAt: occurredAt(e) })),
    });

    const profileDir = profile ? await mkdtemp(path.join(tmpdir(), "traceledger-prof-")) : undefined;
    if (profileDir) cleanup.push(() => rm(profileDir, { recursive: true, force: true }));
    const server = await startServerProcess({ databaseUrl: db.url, cpuProfDir: profileDir });
    cleanup.unshift(() => server.stop());
    await waitUntilQuiet(server.pid); // its projector folds the big trace into the listing
    const load = await forkHelper<ListJob, ListResult>("load-list.ts");
    cleanup.unshift(() => load.helper.close());

    const mid = seed.from + (seed.to - seed.from) / 2n;
    const cases: ListCase[] = [
      { name: "no filter (first page of 50)", request: {} },
      { name: `service = ${BACKENDS[0]} (in ~85% of traces)`, request: { serviceName: BACKENDS[0] } },
      { name: `service = ${RARE.service} (0.2% of traces)`, request: { serviceName: RARE.service } },
      { name: `span name = ${SPAN_NAMES[0]} (~80% of traces)`, request: { spanName: SPAN_NAMES[0] } },
      { name: `span name = ${RARE.spanName} (0.1% of traces)`, request: { spanName: RARE.spanName } },
      { name: "attribute customer.tier = gold (~95% of traces)", request: { attributes: [{ key: "customer.tier", value: "gold" }] } },
      { name: "attribute tenant.id = t-42 (~1% of traces)", request: { attributes: [{ key: "tenant.id", value: "t-42" }] } },
      { name: `attribute ${RARE.attribute.key} = ${RARE.attribute.value} (0.1% of traces)`, request: { attributes: [RARE.attribute] } },
      { name: "status ERROR (~10% of traces)", request: { status: StatusCode.ERROR } },
      { name: "min duration 1 s (~1.5% of traces)", request: { minDurationNano: "1000000000" } },
      { name: "time range: one hour, 12 h ago", request: { startTimeMinUnixNano: mid.toString(), startTimeMaxUnixNano: (mid + HOUR_NS).toString() } },
      { name: "no filter, page 5 (keyset paging)", request: {}, page: 5 },
      { name: "service = orders, page 5", request: { serviceName: BACKENDS[0] }, page: 5 },
    ];
    process.stderr.write(`  measuring...`);
    const result = await load.helper.run(
      { address: server.grpcAddress, databaseUrl: db.url, cases, traceIdHex: BIG_TRACE, samples: SAMPLES, warmup: quick ? 3 : 10, maxMsPerCase: MAX_MS_PER_CASE, eventCount: events.length },
      30 * 60_000,
    );
    process.stderr.write(` done; GetTrace with the view cache off...`);
    const uncached = await startServerProcess({ databaseUrl: db.url, env: { TRACELEDGER_VIEW_CACHE_MB: "0" } });
    cleanup.unshift(() => uncached.stop());
    const noCache = await load.helper.run(
      { address: uncached.grpcAddress, databaseUrl: db.url, cases: [], traceIdHex: BIG_TRACE, samples: SAMPLES, warmup: quick ? 3 : 10, maxMsPerCase: MAX_MS_PER_CASE, eventCount: events.length, getTraceOnly: true },
      30 * 60_000,
    );
    await uncached.stop();
    const [snapshots] = await sql<{ n: number; bytes: number; stored: number }[]>`
      select count(*)::int as n, coalesce(sum(octet_length(view)), 0)::int as bytes, pg_total_relation_size('trace_view_snapshots')::int as stored
        from trace_view_snapshots`;
    process.stderr.write(` done\n`);

    console.log(`# ListTraces over ${num(seed.spans)} spans and GetTrace of a ${num(BIG_SPANS)}-span trace, over gRPC (grpc-js client)\n`);
    console.log(header);
    console.log(
      `PostgreSQL ${pg!.version} (${db.kind}), shared_buffers=${pg!.shared_buffers}. ${num(seed.traces)} traces / ${num(seed.spans)} spans over 24 h ` +
        `(span_index ${seed.sizes.spanIndex}, trace_summaries ${seed.sizes.traceSummaries}; loaded in ${num(seed.seconds.insert + seed.seconds.summaries, 1)} s, ` +
        `indexes ${num(seed.seconds.indexes, 1)} s, vacuum analyze ${num(seed.seconds.analyze, 1)} s). ` +
        `One call at a time from the load process; up to ${SAMPLES} samples or ${num(MAX_MS_PER_CASE / 1000, 1)} s per case; page size 50.\n`,
    );
    const row = (l: Latency, target?: number, note = "") =>
      `| ${l.name} | ${l.n} | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${l.rows}${note} |${target === undefined ? "" : ` ${l.p95 <= target ? "met" : "MISSED"} |`}`;
    console.log(`| baseline (postgres.js from the load process) | n | p50 ms | p95 ms | p99 ms | rows |`);
    console.log(`|---|---|---|---|---|---|`);
    console.log(row(result.selectOne));
    console.log(row(result.rawPage));
    console.log(`\n| ListTraces over gRPC | n | p50 ms | p95 ms | p99 ms | traces on the page | p95 ≤ ${LIST_TARGET_MS} ms |`);
    console.log(`|---|---|---|---|---|---|---|`);
    for (const c of result.cases) console.log(row(c, LIST_TARGET_MS));
    console.log(`\n| GetTrace, ${num(BIG_SPANS)}-span trace (${num(events.length)} events) | n | p50 ms | p95 ms | p99 ms | rows | p95 ≤ ${GET_TARGET_MS} ms |`);
    console.log(`|---|---|---|---|---|---|---|`);
    console.log(row(result.rawEvents) + " baseline |");
    for (const [label, r] of [["view cache on (default)", result], ["view cache off (snapshots only)", noCache]] as const) {
      const named = (l: Latency) => ({ ...l, name: `${l.name} — ${label}` });
      console.log(row(named(r.getTrace), GET_TARGET_MS, ` spans, ${num(r.responseBytes / 1024)} KiB`));
      console.log(row(named(r.getTraceBytes), GET_TARGET_MS, ` bytes`));
      console.log(row(named(r.asOf), GET_TARGET_MS, ` spans (last)`));
      console.log(row(named(r.asOfBytes), GET_TARGET_MS, ` bytes (last)`));
      console.log(row(named(r.wideWindow.now), GET_TARGET_MS, ` bytes`));
      console.log(row(named(r.wideWindow.asOf), GET_TARGET_MS, ` bytes (last)`));
    }
    console.log(
      `\nFirst calls of each run (one each, ms): cache on, before any snapshot existed: as of version ${Math.ceil(events.length / 2)} ${ms(result.firstCalls.asOf)}, now ${ms(result.firstCalls.now)}; ` +
        `cache off, from stored snapshots: ${ms(noCache.firstCalls.asOf)}, ${ms(noCache.firstCalls.now)}. ` +
        `Snapshots stored: ${snapshots!.n} (${num(snapshots!.bytes / 1024)} KiB of deflate-compressed views, ${num(snapshots!.stored / 1024)} KiB table).`,
    );
    const unfiltered = result.cases[0]!;
    console.log(
      `\nOverhead of the server over its own query (unfiltered page): p50 ${ms(unfiltered.p50 - result.rawPage.p50)} ms; ` +
        `GetTrace over the raw read: p50 ${ms(result.getTrace.p50 - result.rawEvents.p50)} ms. Machine: ${cpus().length} cores shared by PostgreSQL, the server and the load process.`,
    );
    if (profileDir) {
      await server.stop();
      const data = await readProfile(profileDir);
      const calls = result.cases.reduce((n, c) => n + c.n, 0) + result.getTrace.n;
      console.log(profileReport(`Server CPU profile (all ListTraces and GetTrace calls, ~${num(calls)} measured calls plus warm-up)`, data, 25));
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
