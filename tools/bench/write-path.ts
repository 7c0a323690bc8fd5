// The server's write path in one process, without gRPC: IngestBatch request bytes
// -> read-ingest-batch -> TraceCommandBus (decide, evolve, encode, event ids, the
// command-bus metrics) -> PostgresEventStore.appendMany -> the hand-written response.
// Reports this process's CPU (user + system, postgres.js included) per event stored,
// the figure to compare before and after a change to that path: on a shared machine
// it moves far less than events/s.
//
//   npx tsx tools/bench/write-path.ts [--seconds=N] [--rounds=N] [--cache-size=N] [--profile] [--allocations]
//
// Workload: ingest-throughput's "lifecycle" layout (support/ingest-workload.ts), 4
// lanes of 500-command batches in flight, requests encoded before the clock starts.
// Each round: a warm-up, then --seconds (default 6) measured; the summary gives the
// median of --rounds (default 3), after a first round not counted (it starts with an
// empty trace cache, which later rounds have filled). --profile adds a round under
// the inspector's CPU profiler (not counted: profiling costs CPU) and prints where
// its measured phase's time went, per event stored. --allocations adds a round under
// the sampling heap profiler (collected objects included) and prints the functions
// that allocated the most bytes per event: what the garbage collector is paid for.

import { toBinary } from "@bufbuild/protobuf";
import { IngestBatchRequestSchema } from "@traceledger/proto";
import { randomBytes, randomUUID } from "node:crypto";
import { Session } from "node:inspector/promises";
import { TraceCommandBus } from "../../apps/server/src/commands/trace-command-bus.js";
import { DEFAULT_SPAN_LIMITS } from "../../apps/server/src/domain/trace/span-limits.js";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { isTraceError } from "../../apps/server/src/domain/trace/trace-error.js";
import type { TraceCommand } from "../../apps/server/src/domain/trace/trace-commands.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { CommandBusMetrics } from "../../apps/server/src/metrics/command-bus-metrics.js";
import { ServerMetrics } from "../../apps/server/src/metrics/server-metrics.js";
import { readIngestBatch, readIngestBatchLazily } from "../../apps/server/src/rpc/ingest/read-ingest-batch.js";
import { writeIngestBatchResponse } from "../../apps/server/src/rpc/ingest/write-ingest-batch-response.js";
import { machineLine, openBenchDatabase } from "./support/bench-env.js";
import { profileReport } from "./support/cpu-profile.js";
import { batchShape, TRACES_PER_BATCH } from "./support/ingest-workload.js";

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const SECONDS = arg("seconds", 6);
const ROUNDS = arg("rounds", 3);
/** The bus's trace cache size (its default: 20,000). */
const CACHE_SIZE = arg("cache-size", 20_000);
const WARMUP_MS = 2000;
const LANES = 4;
const profile = process.argv.includes("--profile");
const allocations = process.argv.includes("--allocations");

/** A lane's batches, encoded: each starts 50 traces and ends the 50 of the lane's previous batch. */
function laneBatches(count: number): Uint8Array[] {
  const batches: Uint8Array[] = [];
  let ending: Uint8Array[] = [];
  const t0 = BigInt(Date.now()) * 1_000_000n;
  for (let b = 0; b < count; b++) {
    const fresh = Array.from({ length: TRACES_PER_BATCH }, () => new Uint8Array(randomBytes(16)));
    const { commands } = batchShape("lifecycle", fresh, ending, t0);
    batches.push(toBinary(IngestBatchRequestSchema, { $typeName: "traceledger.v1.IngestBatchRequest", commands }));
    ending = fresh;
  }
  return batches;
}

async function main(): Promise<void> {
  const db = await openBenchDatabase("tl_bench_write_path");
  const sql = createPostgresClient(db.url, { applicationName: "traceledger-bench" });
  try {
    await migrate(sql);
    const store = new PostgresEventStore(sql);
    const bus = new TraceCommandBus({
      store,
      clock: () => BigInt(Date.now()) * 1_000_000n,
      newId: randomUUID,
      limits: DEFAULT_SPAN_LIMITS, // the server's defaults: 128 attributes, no length limit
      observer: new CommandBusMetrics(new ServerMetrics()),
      onAppended: () => {},
      cacheSize: CACHE_SIZE,
    });
    const ingest = async (bytes: Uint8Array): Promise<void> => {
      const { commands, startTrace } = readIngestBatch(readIngestBatchLazily(bytes));
      const valid: TraceCommand[] = [];
      for (const command of commands) if (!isTraceError(command)) valid.push(command);
      const results = await bus.submitAll(valid);
      for (const r of results) if (!r.ok) throw new Error(`command failed: ${r.error.reason}`);
      writeIngestBatchResponse(results, (i) => startTrace[i]!);
    };
    const stored = async () => Number((await sql<{ n: string }[]>`select count(*)::text as n from events`)[0]!.n);
    // Enough batches for a round at ~10k events/s of one core per lane's share, with room.
    const perLane = Math.ceil(((WARMUP_MS / 1000 + SECONDS) * 60_000) / 600 / LANES);
    const total = ROUNDS + 1 + (profile ? 1 : 0) + (allocations ? 1 : 0);
    process.stderr.write(`encoding ${perLane * LANES * total} batches...\n`);
    const lanesPerRound = Array.from({ length: total }, () => Array.from({ length: LANES }, () => laneBatches(perLane)));

    const figures: number[] = [];
    for (let round = 0; round < total; round++) {
      const lanes = lanesPerRound[round]!;
      let phase: "warmup" | "measure" | "stop" = "warmup";
      const runLane = async (batches: Uint8Array[]) => {
        for (const bytes of batches) {
          if (phase === "stop") return;
          await ingest(bytes);
        }
        throw new Error("the lane ran out of batches: raise perLane");
      };
      const running = Promise.all(lanes.map(runLane));
      await new Promise((r) => setTimeout(r, WARMUP_MS));
      const kind = allocations && round === total - 1 ? "allocations" : profile && round === ROUNDS + 1 ? "profile" : undefined;
      const session = kind ? new Session() : undefined;
      if (session) {
        session.connect();
        if (kind === "profile") {
          await session.post("Profiler.enable");
          await session.post("Profiler.start");
        } else {
          await session.post("HeapProfiler.enable");
          await session.post("HeapProfiler.startSampling", { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
        }
      }
      const before = await stored();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      phase = "measure";
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      phase = "stop";
      await running;
      const cpu = process.cpuUsage(cpu0);
      const wall = (performance.now() - t0) / 1000;
      const events = (await stored()) - before;
      const us = (cpu.user + cpu.system) / events;
      const counted = round > 0 && !session;
      if (counted) figures.push(us);
      process.stdout.write(
        `${round === 0 ? "warm-up round" : kind ? `${kind} round` : `round ${round}`}: ${events} events, ${(events / wall).toFixed(0)} events/s, ${((cpu.user + cpu.system) / 1e6 / wall).toFixed(2)} cores, ${us.toFixed(2)} us CPU per event\n`,
      );
      if (session && kind === "profile") {
        const { profile: p } = await session.post("Profiler.stop");
        session.disconnect();
        process.stdout.write(profileReport("Write path CPU profile (measured phase of the profiled round)", p as never, 40, { count: events, unit: "event" }) + "\n");
      } else if (session) {
        const { profile: p } = await session.post("HeapProfiler.stopSampling");
        session.disconnect();
        process.stdout.write(allocationReport(p.head, events) + "\n");
      }
    }
    const sorted = [...figures].sort((a, b) => a - b);
    process.stdout.write(`${machineLine()}\nmedian ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} us CPU per event (min ${sorted[0]!.toFixed(2)}, max ${sorted[sorted.length - 1]!.toFixed(2)})\n`);
    await bus.close();
  } finally {
    await sql.end({ timeout: 5 });
    await db.close();
  }
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated per event stored, by function (self), top 30. */
function allocationReport(head: HeapNode, events: number): string {
  const bySite = new Map<string, number>();
  const visit = (node: HeapNode) => {
    const f = node.callFrame;
    const where = f.url.replace(/^.*\/(apps\/server\/src|node_modules)\//, "$1/");
    const key = `${f.functionName || "(anonymous)"} | ${where}:${f.lineNumber + 1}`;
    bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child);
  };
  visit(head);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  const rows = [...bySite.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
  return [
    `\n## Allocations (sampled, collected objects included): ${(total / events).toFixed(0)} bytes per event stored\n`,
    "| function | where | bytes per event |",
    "|---|---|---|",
    ...rows.map(([key, bytes]) => `| ${key} | ${(bytes / events).toFixed(0)} |`),
  ].join("\n");
}

await main();
