// Replay, time travel and projection rebuild, each beside its baseline from the
// same run:
//   - folding events into trace state (TraceAggregate) and into the GetTrace
//     view, against decoding the same events alone;
//   - GetTrace as of a past version of a 1,000-span trace, in process and over
//     gRPC, against reading the same events from PostgreSQL alone;
//   - rebuilding the ListTraces projection, against reading the log alone.
//
// usage: npx tsx tools/bench/replay-and-time-travel.ts [--quick]
// Uses DATABASE_URL if set, else an embedded PostgreSQL in a temporary folder.

import { chmod, mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TracingService } from "@traceledger/proto";
import { TraceCommandBus } from "../../apps/server/src/commands/trace-command-bus.js";
import { loadConfig } from "../../apps/server/src/config/server-config.js";
import { startEmbeddedDatabase } from "../../apps/server/src/database/embedded-database.js";
import { createPostgresClient, ensureDatabase } from "../../apps/server/src/database/open-database.js";
import { DEFAULT_ATTRIBUTE_LIMITS } from "../../apps/server/src/domain/trace/attribute-limits.js";
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
import { bigTraceEvents } from "./support/big-trace.js";
import { fmt, percentile, rate, timeLoop } from "./support/stats.js";

const quick = process.argv.includes("--quick");
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
  const external = process.env["DATABASE_URL"];
  let folder: string | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let url: string;
  if (external) {
    url = external;
  } else {
    folder = await mkdtemp(path.join(tmpdir(), "traceledger-bench-"));
    // PostgreSQL runs as its own user when we are root: it must be able to enter the folder.
    await chmod(folder, 0o755);
    const embedded = await startEmbeddedDatabase({ dataDir: path.join(folder, "data") });
    stopEmbedded = () => embedded.stop();
    await ensureDatabase(embedded.url(), "bench_replay");
    url = embedded.url("bench_replay");
  }
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
    const asOf = Math.floor(events.length / 2);
    const samples = quick ? 100 : 400;
    const readOnly: number[] = [];
    const inProcess: number[] = [];
    for (let i = 0; i < samples + 20; i++) {
      const t0 = performance.now();
      const rows = await store.readStream(TRACE, { toVersion: asOf });
      const t1 = performance.now();
      const builder = new TraceViewBuilder(TRACE);
      for (const row of rows) builder.apply(decodeTraceEvent(row.type, row.payload));
      builder.build(rows[rows.length - 1]!.recordedAt);
      const t2 = performance.now();
      if (i >= 20) {
        readOnly.push(t1 - t0);
        inProcess.push(t2 - t0);
      }
    }

    const server = await startTraceledger(
      loadConfig({ DATABASE_URL: url, TRACELEDGER_GRPC_PORT: "0", TRACELEDGER_HTTP_PORT: "0" }),
      createLogger("error"),
    );
    const client = createClient(TracingService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
    const overGrpc: number[] = [];
    const currentOverGrpc: number[] = [];
    for (let i = 0; i < samples + 20; i++) {
      let t0 = performance.now();
      await client.getTrace({ traceId: hexToBytes(TRACE), asOf: { case: "asOfVersion", value: BigInt(asOf) } });
      if (i >= 20) overGrpc.push(performance.now() - t0);
      t0 = performance.now();
      await client.getTrace({ traceId: hexToBytes(TRACE) });
      if (i >= 20) currentOverGrpc.push(performance.now() - t0);
    }
    console.log(`## GetTrace of a ${SPANS}-span trace (${samples} calls each, ms)`);
    console.log(`| what | p50 | p95 | p99 |\n|---|---|---|---|`);
    const row = (name: string, s: number[]) => console.log(`| ${name} | ${fmt(percentile(s, 50))} | ${fmt(percentile(s, 95))} | ${fmt(percentile(s, 99))} |`);
    row(`baseline: read ${asOf} events from PostgreSQL only`, readOnly);
    row(`as of version ${asOf}, in process (read + decode + fold)`, inProcess);
    row(`as of version ${asOf}, over gRPC (connect client)`, overGrpc);
    row(`current (${events.length} events), over gRPC`, currentOverGrpc);
    console.log("");
    await server.stop();

    // ---- projection rebuild ----
    const traces = quick ? 500 : 3000;
    const bus = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_ATTRIBUTE_LIMITS });
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
    await stopEmbedded?.();
    if (folder) await rm(folder, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
