// The DistributedTracingSaga under the ingest benchmark's load: how far behind
// the log it runs, how soon an alert is stored after what caused it, what it
// costs the write path, and how fast it can fold the log.
//
//   npx tsx tools/bench/saga-lag.ts [--quick] [--profile]
//
// Processes: this script (probes, /metrics scraping, the replay measurement),
// the traceledger server (main.ts) and the ingest load process
// (support/load-ingest.ts: IngestBatch, 500-command batches, 4 in flight, the
// "lifecycle" layout of ingest-throughput.ts), over loopback; plus PostgreSQL.
//
// Two runs on fresh databases, same load and duration:
//   baseline  MONITORING_ENABLED=false: the write path without the saga.
//   saga      the saga on (defaults: 1 s ticks, 5 s slow spans), with probes:
//             - every 50 ms a span of "probe-ended" that started 6 s ago and ends
//               now: the saga raises (and resolves) a slow-span alert when it
//               reads the end. Lag = the AlertRaised's recorded time - the
//               moment the probe's EndSpan was acknowledged (after its commit;
//               same machine, same clock): from the commit of the cause to the
//               alert being stored. Also shown from the SpanEnded's recorded
//               time, which adds the ingest path's own commit latency.
//             - every 250 ms a span of "probe-open" (threshold 1 s by override)
//               that runs 1.5 s: the saga must notice it while it runs. Delay =
//               the AlertRaised's recorded time - (start + 1 s): tick cadence
//               plus processing.
//             and /metrics scraped every 200 ms for the saga's subscriber lag
//             (age of the newest event of each slice it processed).
// Then the saga's fold rate: the stored log folded again in this process with
// the runner's own SagaFold (decode + decide + evolve), reads excluded.
//
// Target: lag p99 <= 1 s. --profile runs the saga-on server under --cpu-prof and
// prints where its main thread's time went.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { fromBinary } from "@bufbuild/protobuf";
import { AlertRaisedSchema, StatusCode, TracingService } from "@traceledger/proto";
import { randomBytes } from "node:crypto";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { monitoringConfig } from "../../apps/server/src/domain/monitoring/index.js";
import { START_OF_LOG, type StoredEvent } from "../../apps/server/src/event-store/event-store.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { SagaFold } from "../../apps/server/src/monitoring/saga-fold.js";
import { cores, forkHelper, machineLine, ms, num, openBenchDatabase, sleep, startCpuMeter, startServerProcess } from "./support/bench-env.js";
import { profileReport, readProfile } from "./support/cpu-profile.js";
import type { IngestJob, IngestResult } from "./support/load-ingest.js";
import { percentile } from "./support/stats.js";

const quick = process.argv.includes("--quick");
const profile = process.argv.includes("--profile");
const LANES = 4;
const WARMUP_MS = quick ? 2000 : 3000;
const RUN_MS = quick ? 8000 : 30_000;
const ENDED_PROBE_EVERY_MS = 50;
const OPEN_PROBE_EVERY_MS = 250;
const OPEN_THRESHOLD_MS = 1000;
const TARGET_P99_S = 1;
const MS = 1_000_000n;

interface Probe {
  readonly traceId: string;
  readonly kind: "ended" | "open";
  /** Unix ns: the open probe's start. */
  readonly start: bigint;
  /** Unix ns: when the ended probe's EndSpan was acknowledged. */
  acked?: bigint;
}

async function main(): Promise<void> {
  const header = machineLine(quick ? "--quick" : "");
  const db = await openBenchDatabase("tl_bench_saga");
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const load = await forkHelper<IngestJob, IngestResult>("load-ingest.ts");
    cleanup.unshift(() => load.helper.close());
    const job = (address: string): IngestJob => ({ address, layout: "lifecycle", lanes: LANES, warmupMs: WARMUP_MS, durationMs: RUN_MS, maxBatchesPerLane: 100_000 });

    // 1. Baseline: the same server without the saga.
    process.stderr.write("  baseline (MONITORING_ENABLED=false)...");
    const baselineUrl = await db.another("tl_bench_saga_off");
    const off = await startServerProcess({ databaseUrl: baselineUrl, env: { MONITORING_ENABLED: "false" } });
    cleanup.unshift(() => off.stop());
    const offMeter = await startCpuMeter({ server: off.pid });
    const baseline = await load.helper.run(job(off.grpcAddress), WARMUP_MS + RUN_MS + 120_000);
    const offCpu = await offMeter.stop();
    await off.stop();
    process.stderr.write(` ${num(baseline.events / baseline.seconds)} events/s\n`);

    // 2. The saga on, with probes and /metrics scraping alongside the load.
    process.stderr.write("  saga on...");
    const profileDir = profile ? await mkdtemp(path.join(tmpdir(), "traceledger-prof-")) : undefined;
    if (profileDir) cleanup.push(() => rm(profileDir, { recursive: true, force: true }));
    const server = await startServerProcess({ databaseUrl: db.url, cpuProfDir: profileDir, env: { MONITORING_SLOW_SPAN_OVERRIDES: `probe-open=${OPEN_THRESHOLD_MS}` } });
    cleanup.unshift(() => server.stop());
    const client = createClient(TracingService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
    const probes: Probe[] = [];
    const lagSamples: number[] = [];
    let probing = true;
    const probeFailures: string[] = [];
    const endedProbes = (async () => {
      while (probing) {
        const traceId = randomBytes(16);
        const spanId = randomBytes(8);
        const now = BigInt(Date.now()) * MS;
        const probe: Probe = { traceId: traceId.toString("hex"), kind: "ended", start: now - 6000n * MS };
        probes.push(probe);
        void client
          .startTrace({ traceId, spanId, name: "probe", serviceName: "probe-ended", startTimeUnixNano: now - 6000n * MS })
          .then(() => client.endSpan({ traceId, spanId, status: { code: StatusCode.OK } }))
          .then(() => (probe.acked = BigInt(Date.now()) * MS))
          .catch((error: unknown) => probeFailures.push(String(error)));
        await sleep(ENDED_PROBE_EVERY_MS);
      }
    })();
    const openProbes = (async () => {
      while (probing) {
        const traceId = randomBytes(16);
        const spanId = randomBytes(8);
        const start = BigInt(Date.now()) * MS;
        probes.push({ traceId: traceId.toString("hex"), kind: "open", start });
        void client
          .startTrace({ traceId, spanId, name: "probe", serviceName: "probe-open", startTimeUnixNano: start })
          .then(() => sleep(OPEN_THRESHOLD_MS * 1.5))
          .then(() => client.endSpan({ traceId, spanId, status: { code: StatusCode.OK } }))
          .catch((error: unknown) => probeFailures.push(String(error)));
        await sleep(OPEN_PROBE_EVERY_MS);
      }
    })();
    const scraping = (async () => {
      while (probing) {
        const text = await fetch(`http://${server.httpAddress}/metrics`).then((r) => r.text(), () => "");
        const match = /traceledger_subscriber_lag_seconds\{subscriber="monitoring-saga"\} ([0-9.e+-]+)/.exec(text);
        if (match) lagSamples.push(Number(match[1]));
        await sleep(200);
      }
    })();
    const onMeter = await startCpuMeter({ server: server.pid });
    const withSaga = await load.helper.run(job(server.grpcAddress), WARMUP_MS + RUN_MS + 120_000);
    const onCpu = await onMeter.stop();
    probing = false;
    await Promise.all([endedProbes, openProbes, scraping]);
    process.stderr.write(` ${num(withSaga.events / withSaga.seconds)} events/s\n`);

    // Every probe alerted? Wait for the saga to catch up (bounded), then read the stored times.
    const sql = createPostgresClient(db.url, { max: 2, applicationName: "traceledger-bench" });
    cleanup.push(() => sql.end({ timeout: 5 }));
    await sleep(OPEN_THRESHOLD_MS * 2);
    const alertTimes = new Map<string, bigint>();
    const caughtUpBy = performance.now() + 30_000;
    for (;;) {
      for (const row of await sql<{ payload: Buffer; recorded_at: bigint }[]>`
        select payload, recorded_at from events where trace_id = ${Buffer.alloc(16)} and type = 'AlertRaised'`) {
        const alert = fromBinary(AlertRaisedSchema, row.payload);
        if (alert.subject?.subject.case === "span") alertTimes.set(Buffer.from(alert.subject.subject.value.traceId).toString("hex"), BigInt(row.recorded_at));
      }
      if (probes.every((p) => alertTimes.has(p.traceId)) || performance.now() > caughtUpBy) break;
      await sleep(500);
    }
    const ends = new Map<string, bigint>();
    for (const row of await sql<{ trace_id: Buffer; recorded_at: bigint }[]>`
      select trace_id, recorded_at from events where type = 'SpanEnded' and trace_id = any(${sql.array(probes.filter((p) => p.kind === "ended").map((p) => Buffer.from(p.traceId, "hex")), 17)}::bytea[])`) {
      ends.set(row.trace_id.toString("hex"), BigInt(row.recorded_at));
    }
    const endedLags: number[] = [];
    const recordedLags: number[] = [];
    const openDelays: number[] = [];
    let missing = 0;
    for (const probe of probes) {
      const alerted = alertTimes.get(probe.traceId);
      if (alerted === undefined) {
        missing++;
        continue;
      }
      if (probe.kind === "ended") {
        const ended = ends.get(probe.traceId);
        if (ended !== undefined) recordedLags.push(Number(alerted - ended) / 1e6);
        if (probe.acked !== undefined) endedLags.push(Number(alerted - probe.acked) / 1e6);
      } else {
        openDelays.push(Number(alerted - (probe.start + BigInt(OPEN_THRESHOLD_MS) * MS)) / 1e6);
      }
    }
    await server.stop();

    // 3. The fold rate: the stored log through the runner's SagaFold, in this process.
    process.stderr.write("  replay...");
    const store = new PostgresEventStore(sql);
    const fold = new SagaFold(monitoringConfig(), 1_000_000_000n);
    let checkpoint = START_OF_LOG;
    let folded = 0;
    let foldMs = 0;
    let readMs = 0;
    const discard: Parameters<SagaFold["event"]>[1] = [];
    for (;;) {
      const readStart = performance.now();
      const slice = await store.readAll(checkpoint, 5000);
      readMs += performance.now() - readStart;
      if (slice.events.length === 0) break;
      const start = performance.now();
      for (const stored of slice.events as StoredEvent[]) {
        fold.event(stored, discard);
        discard.length = 0;
      }
      foldMs += performance.now() - start;
      folded += slice.events.length;
      checkpoint = slice.checkpoint;
    }
    process.stderr.write(` ${num(folded / (foldMs / 1000))} events/s\n`);

    const rate = (r: IngestResult) => r.events / r.seconds;
    const p99 = percentile(endedLags, 99) / 1000;
    console.log(`# The DistributedTracingSaga under ingest load\n`);
    console.log(header);
    console.log(
      `IngestBatch load: ${LANES} lanes, 500-command batches ("lifecycle" layout of ingest-throughput.ts), ${num(WARMUP_MS / 1000)} s warm-up + ${num(RUN_MS / 1000)} s measured per run; ` +
        `probes every ${ENDED_PROBE_EVERY_MS} ms (ended slow) and ${OPEN_PROBE_EVERY_MS} ms (left open past ${OPEN_THRESHOLD_MS} ms); saga defaults (1 s ticks).\n`,
    );
    console.log(`| run | ingest events/s | vs baseline | server CPU (cores) | server µs per event |`);
    console.log(`|---|---|---|---|---|`);
    for (const [name, r, cpu] of [
      ["baseline: saga off", baseline, offCpu],
      ["saga on", withSaga, onCpu],
    ] as const) {
      console.log(`| ${name} | ${num(rate(r))} | ${num((rate(r) / rate(baseline)) * 100)}% | ${cores(cpu["server"])} | ${num((cpu["server"]! / rate(r)) * 1e6, 1)} |`);
    }
    console.log(`\n| saga figure | p50 | p99 | max | samples |`);
    console.log(`|---|---|---|---|---|`);
    console.log(
      `| **commit -> alert stored** (probe's EndSpan acknowledged -> its AlertRaised recorded), ms; target p99 <= ${TARGET_P99_S * 1000} | ${ms(percentile(endedLags, 50))} | ${ms(percentile(endedLags, 99))} ${p99 <= TARGET_P99_S ? "met" : "MISSED"} | ${ms(Math.max(...endedLags))} | ${endedLags.length} |`,
    );
    console.log(`| SpanEnded recorded -> AlertRaised recorded (adds the ingest commit's latency), ms | ${ms(percentile(recordedLags, 50))} | ${ms(percentile(recordedLags, 99))} | ${ms(Math.max(...recordedLags))} | ${recordedLags.length} |`);
    console.log(`| open span past its threshold -> alert stored, ms (tick 1 s) | ${ms(percentile(openDelays, 50))} | ${ms(percentile(openDelays, 99))} | ${ms(Math.max(...openDelays))} | ${openDelays.length} |`);
    console.log(`| subscriber lag from /metrics (newest event's age per slice), ms | ${ms(percentile(lagSamples, 50) * 1000)} | ${ms(percentile(lagSamples, 99) * 1000)} | ${ms(Math.max(...lagSamples) * 1000)} | ${lagSamples.length} |`);
    console.log(
      `\nSaga fold rate (this process, SagaFold: decode + decide + evolve, reads excluded): ${num(folded / (foldMs / 1000))} events/s over ${num(folded)} events ` +
        `(readAll alone: ${num(folded / (readMs / 1000))} events/s). Probes without an alert: ${missing} of ${probes.length}; probe call failures: ${probeFailures.length}${probeFailures[0] ? ` (first: ${probeFailures[0]})` : ""}.`,
    );
    if (profileDir) {
      const data = await readProfile(profileDir);
      const perUnit = { count: withSaga.eventsTotal, unit: "event" };
      console.log(profileReport(`Server CPU profile, saga on (${num(withSaga.eventsTotal)} events acknowledged)`, data, 25, perUnit));
    }
    if (missing > 0 || p99 > TARGET_P99_S) process.exitCode = 1;
  } finally {
    for (const step of cleanup) await step().catch((error: unknown) => console.error(error));
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
