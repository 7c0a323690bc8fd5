// Replay, time travel and projection rebuild, each beside its baseline from the
// same run:
//   - folding events into trace state (TraceAggregate) and into the GetTrace
//     view, against decoding the same events alone;
//   - GetTrace of a 1,000-span trace as of random past versions and now, in
//     process (support/get-trace-in-process.ts: the previous full fold, snapshot +
//     tail without and with the view cache, in interleaved rounds, with CPU per
//     read) and over gRPC from this process to an in-process server, against
//     reading the same events from PostgreSQL alone;
//   - rebuilding the ListTraces projection, against reading the log alone.
//
// usage: npx tsx tools/bench/replay-and-time-travel.ts [--quick] [--rounds=N] [--snapshot-every=N]
// Uses DATABASE_URL if set, else an embedded PostgreSQL in a temporary folder.

import { cpus } from "node:os";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GetTraceRequestSchema, TracingService, type GetTraceRequest } from "@traceledger/proto";
import { TraceCommandBus } from "../../apps/server/src/commands/trace-command-bus.js";
import { loadConfig } from "../../apps/server/src/config/server-config.js";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { DEFAULT_SPAN_LIMITS } from "../../apps/server/src/domain/trace/span-limits.js";
import { eventIdentity } from "../../apps/server/src/domain/trace/trace-event.js";
import { evolveTrace, initialTraceState } from "../../apps/server/src/domain/trace/trace-state.js";
import { bytesToHex, hexToBytes } from "../../apps/server/src/domain/trace/w3c-ids.js";
import { START_OF_LOG } from "../../apps/server/src/event-store/event-store.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { deriveEventId } from "../../apps/server/src/events/event-id.js";
import { decodeTraceEvent, encodeTraceEvent, occurredAt } from "../../apps/server/src/events/trace-event-codec.js";
import { createLogger } from "../../apps/server/src/log/logger.js";
import { TraceListingProjector } from "../../apps/server/src/projections/postgres/trace-listing-projector.js";
import { TraceViewBuilder } from "../../apps/server/src/projections/trace-view.js";
import { startTraceledger } from "../../apps/server/src/server/start-traceledger.js";
import { openBenchDatabase } from "./support/bench-env.js";
import { bigTraceEvents } from "./support/big-trace.js";
import { measureGetTrace, versionSequence, type GetTraceRow } from "./support/get-trace-in-process.js";
import { grpcClient, raw, TRACING, waitForReady } from "./support/grpc-unary.js";
import { fmt, percentile, rate, timeLoop } from "./support/stats.js";

const quick = process.argv.includes("--quick");
const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice("--rounds=".length) ?? 5);
const SNAPSHOT_EVERY = Number(process.argv.find((a) => a.startsWith("--snapshot-every="))?.slice("--snapshot-every=".length) ?? 128);
const TRACE = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const SPANS = 1000;

async function main() {
  console.log(`# replay, time travel, projection rebuild — ${new Date().toISOString()}, ${cpus().length} cores, node ${process.version}${quick ? ", --quick" : ""}\n`);
  const events = bigTraceEvents(TRACE, SPANS);
  const stored = events.map((e) => encodeTraceEvent(e));
  const bytes = stored.reduce((n, s) => n + s.payload.length, 0);
  console.log(`trace: ${SPANS} spans, ${events.length} events, ${fmt(bytes / events.length)} bytes per event\n`);

  // ---- replay in process ----
  const decodeOnly = timeLoop(() => {
    for (const s of stored) decodeTraceEvent(s.type, s.payload);
  });
  const foldOnly = timeLoop(() => {
    let state = initialTraceState(TRACE);
    for (const e of events) state = evolveTrace(state, e);
  });
  const decodeAndFold = timeLoop(() => {
    let state = initialTraceState(TRACE);
    for (const s of stored) state = evolveTrace(state, decodeTraceEvent(s.type, s.payload));
  });
  const view = timeLoop(() => {
    const builder = new TraceViewBuilder(TRACE);
    for (const s of stored) builder.apply(decodeTraceEvent(s.type, s.payload));
    builder.build(0n);
  });
  const perSec = (r: { iterations: number; ms: number }) => rate(r.iterations * events.length, r.ms);
  console.log("## Replay (single thread, events/s)");
  console.log(`| what | events/s |\n|---|---|`);
  console.log(`| baseline: decode payloads only (protobuf-es) | ${fmt(perSec(decodeOnly))} |`);
  console.log(`| fold decoded events into TraceAggregate state | ${fmt(perSec(foldOnly))} |`);
  console.log(`| replay from bytes: decode + fold | ${fmt(perSec(decodeAndFold))} |`);
  console.log(`| GetTrace view from bytes: decode + view fold + build | ${fmt(perSec(view))} |\n`);

  // ---- PostgreSQL ----
  const db = await openBenchDatabase("tl_bench_replay");
  const url = db.url;
  const sql = createPostgresClient(url, { max: 4, applicationName: "traceledger-bench" });
  try {
    await migrate(sql);
    const clock = () => BigInt(Date.now()) * 1_000_000n;
    const store = new PostgresEventStore(sql, { clock });
    await store.append({
      streamId: TRACE,
      expectedVersion: "any",
      events: events.map((e, i) => ({ eventId: deriveEventId(TRACE, eventIdentity(e, bytesToHex)), type: stored[i]!.type, payload: stored[i]!.payload, occurredAt: occurredAt(e) })),
    });
    const samples = quick ? 100 : 400;
    const figures = await measureGetTrace({ sql, store, traceId: TRACE, eventCount: events.length, samples, rounds, postmasterPid: db.postmasterPid, snapshotEvery: SNAPSHOT_EVERY });
    const table = (rows: GetTraceRow[]) => {
      console.log(`| what | p50 ms | p95 ms | p99 ms | CPU per read: Node + PostgreSQL, us |\n|---|---|---|---|---|`);
      for (const r of rows) console.log(`| ${r.name} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(Math.round(r.nodeUs))} + ${Number.isFinite(r.postgresUs) ? fmt(Math.round(r.postgresUs)) : "n/a"} |`);
    };
    console.log(`## GetTrace of the ${SPANS}-span trace (${events.length} events), in process\n`);
    console.log(
      `Snapshots every ${SNAPSHOT_EVERY} versions: ${figures.snapshots.count} stored, ${fmt(Math.round(figures.snapshots.viewBytes / 1024))} KiB compressed views ` +
        `(${fmt(Math.round(figures.snapshots.storedBytes / 1024))} KiB table). ${samples} reads per scenario in ${rounds} interleaved rounds.\n`,
    );
    console.log(`As of random versions 1..${events.length} (the same sequence for every scenario):\n`);
    table(figures.asOf);
    console.log(`\nNow (the trace is completed: its view does not depend on the clock):\n`);
    table(figures.now);
    console.log(
      `\nFirst read with no snapshot stored and nothing cached (3 tries, ms): as of version ${Math.ceil(events.length / 2)}: ${figures.cold.asOf.map((x) => fmt(x)).join(", ")}; now: ${figures.cold.now.map((x) => fmt(x)).join(", ")}\n`,
    );

    // ---- over gRPC: the server in this process, clients in this process ----
    const server = await startTraceledger(
      loadConfig({ DATABASE_URL: url, TRACELEDGER_GRPC_PORT: "0", TRACELEDGER_HTTP_PORT: "0", TRACELEDGER_HOST: "127.0.0.1", TRACELEDGER_VIEW_SNAPSHOT_EVERY: String(SNAPSHOT_EVERY) }),
      createLogger("error"),
    );
    const connect = createClient(TracingService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
    const grpc = grpcClient(server.grpcAddress);
    await waitForReady(grpc);
    const undecoded = raw(grpc, `${TRACING}/GetTrace`, (m: GetTraceRequest) => Buffer.from(toBinary(GetTraceRequestSchema, m)), (b) => b);
    const traceId = hexToBytes(TRACE);
    const versions = versionSequence(samples, events.length, 777);
    const request = (version?: number) => create(GetTraceRequestSchema, version === undefined ? { traceId } : { traceId, asOf: { case: "asOfVersion", value: BigInt(version) } });
    const grpcRows: Array<[string, (i: number) => Promise<unknown>]> = [
      ["as of random versions, connect client (decodes the response)", (i) => connect.getTrace(request(versions[i]!))],
      ["as of random versions, grpc-js client, response left as bytes", (i) => undecoded(request(versions[i]!))],
      ["now, connect client (decodes the response)", () => connect.getTrace(request())],
      ["now, grpc-js client, response left as bytes", () => undecoded(request())],
    ];
    const grpcTimes = grpcRows.map(() => [] as number[]);
    for (const [, call] of grpcRows) for (let i = 0; i < 10; i++) await call(i);
    const perRound = Math.ceil(samples / rounds);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < grpcRows.length; k++) {
        const r = (k + round) % grpcRows.length;
        for (let i = round * perRound; i < Math.min(samples, (round + 1) * perRound); i++) {
          const t0 = performance.now();
          await grpcRows[r]![1](i);
          grpcTimes[r]!.push(performance.now() - t0);
        }
      }
    }
    console.log(`GetTrace over gRPC (server in this process, loopback; ${samples} calls each, interleaved):\n`);
    console.log(`| what | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|`);
    grpcRows.forEach(([name], r) => console.log(`| ${name} | ${fmt(percentile(grpcTimes[r]!, 50))} | ${fmt(percentile(grpcTimes[r]!, 95))} | ${fmt(percentile(grpcTimes[r]!, 99))} |`));
    console.log("");
    grpc.close();
    await server.stop();

    // ---- projection rebuild ----
    const traces = quick ? 500 : 3000;
    const bus = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_SPAN_LIMITS });
    for (let t = 0; t < traces; t += 250) {
      const chunk = Array.from({ length: Math.min(250, traces - t) }, (_, k) => (0x10000 + t + k).toString(16).padStart(32, "0"));
      await Promise.all(
        chunk.map((traceId) => {
          const evs = bigTraceEvents(traceId, 8);
          return store.append({
            streamId: traceId,
            expectedVersion: "no_stream",
            events: evs.map((e) => ({ eventId: deriveEventId(traceId, eventIdentity(e, bytesToHex)), ...encodeTraceEvent(e), occurredAt: occurredAt(e) })),
          });
        }),
      );
    }
    await bus.close();
    let logEvents = 0;
    const readStart = performance.now();
    for (let checkpoint = START_OF_LOG; ; ) {
      const slice = await store.readAll(checkpoint, 5000);
      if (slice.events.length === 0) break;
      for (const e of slice.events) decodeTraceEvent(e.type, e.payload);
      logEvents += slice.events.length;
      checkpoint = slice.checkpoint;
    }
    const readMs = performance.now() - readStart;
    const projector = new TraceListingProjector({ sql, store, clock });
    const rebuildStart = performance.now();
    const applied = await projector.rebuild();
    const rebuildMs = performance.now() - rebuildStart;
    console.log(`## Projection rebuild (ListTraces tables) over ${fmt(logEvents)} events, ${fmt(traces + 1)} traces`);
    console.log(`| what | events/s |\n|---|---|`);
    console.log(`| baseline: read + decode the whole log (readAll, 5,000 per page) | ${fmt(rate(logEvents, readMs))} |`);
    console.log(`| rebuild span_index + trace_summaries | ${fmt(rate(applied, rebuildMs))} |`);
  } finally {
    await sql.end({ timeout: 5 });
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
