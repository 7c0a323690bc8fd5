// Taking the monitoring saga's lease (or starting a replica) with and without the
// leader's snapshot (apps/server/src/monitoring/saga-snapshot.ts): how long a new
// leader takes to rebuild its state before it acts, and what a snapshot costs the
// leader that writes it. The baseline is the rebuild that folds the log from its
// start, on the same log in the same run.
//
//   npx tsx tools/bench/saga-rebuild.ts [--quick] [--traces=N] [--running=N] [--tail=N]
//
// The log: --traces finished traces of the ingest workload (12 events each, the
// lifecycle layout of support/lifecycle-log.ts), then --running traces whose six
// spans started and never ended (what the saga keeps: the heavy part of its state).
// A snapshot is taken at the end of it; then --tail more events (default: the
// server's MONITORING_SNAPSHOT_EVERY_EVENTS, the most a rebuild reads after the
// leader's latest snapshot) are appended, and the checkpoint moved past them.
// Thresholds are a day long, so the saga decides nothing here (checked: its
// command sink throws).

import { randomBytes, randomUUID } from "node:crypto";
import { createPostgresClient, type Sql } from "../../apps/server/src/database/open-database.js";
import { monitoringConfig } from "../../apps/server/src/domain/monitoring/index.js";
import { bytesToHex } from "../../apps/server/src/domain/trace/w3c-ids.js";
import { START_OF_LOG, type AppendRequest, type GlobalCheckpoint } from "../../apps/server/src/event-store/event-store.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { createLogger } from "../../apps/server/src/log/logger.js";
import { PostgresSagaSnapshotStore } from "../../apps/server/src/monitoring/postgres-saga-snapshot-store.js";
import { SagaFold } from "../../apps/server/src/monitoring/saga-fold.js";
import { MONITORING_SUBSCRIBER, SagaRunner } from "../../apps/server/src/monitoring/saga-runner.js";
import { DEFAULT_SNAPSHOT_EVERY_EVENTS } from "../../apps/server/src/monitoring/saga-snapshot-keeper.js";
import { compressImage, decodeImage, encodeImage } from "../../apps/server/src/monitoring/saga-image-codec.js";
import { SAGA_SNAPSHOT_FORMAT, sagaConfigDigest } from "../../apps/server/src/monitoring/saga-snapshot.js";
import { PostgresSubscriptionLease } from "../../apps/server/src/subscription/postgres/postgres-subscription-lease.js";
import { machineLine, ms, num, openBenchDatabase, postgresSettingsLine } from "./support/bench-env.js";
import { TRACES_PER_BATCH } from "./support/ingest-workload.js";
import { seedLifecycleLog } from "./support/lifecycle-log.js";
import { serverEventsOfOneTrace } from "./support/pg-ceiling.js";

const arg = (name: string, fallback: number) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split("=")[1]) : fallback;
};
const quick = process.argv.includes("--quick");
const TRACES = arg("traces", quick ? 20_000 : 100_000);
const RUNNING = arg("running", quick ? 5_000 : 20_000);
const TAIL = arg("tail", quick ? 60_000 : DEFAULT_SNAPSHOT_EVERY_EVENTS);
const DAY_NS = 86_400n * 1_000_000_000n;
const TICK_MS = 1000;
const CONFIG = monitoringConfig({ slowSpan: { defaultNs: DAY_NS }, slowTraceThresholdNs: DAY_NS, orphanTimeoutNs: DAY_NS, traceIdleTimeoutNs: DAY_NS });
const now = () => BigInt(Date.now()) * 1_000_000n;

interface Rebuild {
  readonly label: string;
  readonly events: number;
  readonly fromSnapshot: number;
  readonly ms: number;
  readonly cpuMs: number;
  readonly running: number;
}

/** A new replica takes the lease (released by the last) and rebuilds: the time until it leads. */
async function takeOver(sql: Sql, store: PostgresEventStore, label: string, withSnapshots: boolean): Promise<Rebuild> {
  const lines: Array<Record<string, unknown>> = [];
  const runner = new SagaRunner({
    store,
    lease: new PostgresSubscriptionLease(sql),
    holder: `bench-${randomUUID().slice(0, 8)}`,
    commands: {
      submit: () => {
        throw new Error("the saga decided a command: the benchmark's thresholds should keep it quiet");
      },
    },
    config: CONFIG,
    clock: now,
    tickIntervalMs: TICK_MS,
    leaseMs: 600_000,
    log: createLogger("info", {}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    snapshots: withSnapshots ? new PostgresSagaSnapshotStore(sql) : undefined,
    snapshotEveryEvents: 0,
  });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await runner.step();
  const elapsed = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  if (!runner.isLeader) throw new Error(`${label}: the runner did not take the lease`);
  const rebuilt = lines.find((l) => l["msg"] === "monitoring: saga state rebuilt");
  if (!rebuilt) throw new Error(`${label}: no rebuild logged`);
  let running = 0;
  for (const trace of runner.state.liveTraces) running += trace.running.size;
  await runner.stop();
  return { label, events: Number(rebuilt["events"]), fromSnapshot: Number(rebuilt["from_snapshot"]), ms: elapsed, cpuMs: (used.user + used.system) / 1000, running };
}

/** Traces whose six spans start and never end. */
async function seedRunning(store: PostgresEventStore, traces: number): Promise<number> {
  const { starts } = serverEventsOfOneTrace(now());
  let stored = 0;
  for (let done = 0; done < traces; done += TRACES_PER_BATCH * 2) {
    const requests: AppendRequest[] = Array.from({ length: Math.min(TRACES_PER_BATCH * 2, traces - done) }, () => ({
      streamId: bytesToHex(randomBytes(16)),
      expectedVersion: 0,
      events: starts.map((e) => ({ eventId: randomUUID(), ...e })),
    }));
    for (const result of await store.appendMany(requests)) {
      if (result instanceof Error) throw result;
      stored += result.positions.length;
    }
  }
  return stored;
}

async function endOfLog(store: PostgresEventStore): Promise<GlobalCheckpoint> {
  let checkpoint = START_OF_LOG;
  for (;;) {
    const slice = await store.readAll(checkpoint, 10_000);
    if (slice.events.length === 0) return checkpoint;
    checkpoint = slice.checkpoint;
  }
}

/** Moves the saga's checkpoint to the end of the log, as a leader that read it all would have. */
async function checkpointAtEnd(sql: Sql, store: PostgresEventStore): Promise<GlobalCheckpoint> {
  const lease = new PostgresSubscriptionLease(sql);
  const claim = await lease.claim(MONITORING_SUBSCRIBER, 0, "bench-seeder", 60_000);
  if (!claim) throw new Error("the lease is held");
  const end = await endOfLog(store);
  const outcome = await lease.commitCheckpoint(claim, await store.loadCheckpoint(MONITORING_SUBSCRIBER), end, 60_000);
  if (outcome !== "committed") throw new Error(`checkpoint: ${outcome}`);
  await lease.release(claim);
  return end;
}

async function main(): Promise<void> {
  const db = await openBenchDatabase("tl_bench_saga_rebuild");
  const sql = createPostgresClient(db.url, { max: 6, applicationName: "traceledger-bench" });
  const store = new PostgresEventStore(sql);
  try {
    await migrate(sql);
    process.stdout.write(`${machineLine(`${num(TRACES)} finished traces, ${num(RUNNING)} running, tail ${num(TAIL)} events`)}\n${await postgresSettingsLine(sql, db.kind)}\n`);
    const finished = await seedLifecycleLog(store, TRACES, now());
    const running = await seedRunning(store, RUNNING);
    const end = await checkpointAtEnd(sql, store);
    await sql`vacuum analyze events`;
    process.stdout.write(`  seeded ${num(finished + running)} events (${num(finished)} of finished traces, ${num(running)} starts of running ones)\n`);

    // The snapshot's parts, as the leader writes one (in this process, from a fold of the whole log).
    const tickNs = BigInt(TICK_MS) * 1_000_000n;
    const fold = new SagaFold(CONFIG, tickNs);
    for (let checkpoint = START_OF_LOG; ; ) {
      const slice = await store.readAll(checkpoint, 5000);
      for (const event of slice.events) fold.event(event, []);
      if (slice.events.length < 5000) break;
      checkpoint = slice.checkpoint;
    }
    // The parts one by one, as the runner's time slices take them: the longest is how long the loop waits.
    let t = performance.now();
    const steps = encodeImage(fold.image());
    let longestPartMs = 0;
    let serialized: Buffer[];
    for (;;) {
      const partStart = performance.now();
      const next = steps.next();
      longestPartMs = Math.max(longestPartMs, performance.now() - partStart);
      if (next.done) {
        serialized = next.value;
        break;
      }
    }
    const serializeMs = performance.now() - t;
    t = performance.now();
    const image = await compressImage(serialized);
    const compressMs = performance.now() - t;
    const lease = new PostgresSubscriptionLease(sql);
    const claim = (await lease.claim(MONITORING_SUBSCRIBER, 0, "bench-writer", 60_000))!;
    t = performance.now();
    const saved = await new PostgresSagaSnapshotStore(sql).save(claim, {
      format: SAGA_SNAPSHOT_FORMAT,
      configDigest: sagaConfigDigest(CONFIG, tickNs),
      checkpoint: end,
      alertsVersion: 0,
      events: fold.eventsRead,
      writtenAt: now(),
      image,
    });
    const saveMs = performance.now() - t;
    await lease.release(claim);
    if (!saved) throw new Error("the snapshot was not saved");
    t = performance.now();
    const loaded = await new PostgresSagaSnapshotStore(sql).load(MONITORING_SUBSCRIBER);
    const restored = new SagaFold(CONFIG, tickNs, undefined, { image: await decodeImage(loaded!.image!), events: loaded!.events, alertsVersion: loaded!.alertsVersion });
    const restoreMs = performance.now() - t;
    if (restored.runningCount() !== fold.runningCount()) throw new Error("the restored fold differs");

    const rebuilds: Rebuild[] = [];
    rebuilds.push(await takeOver(sql, store, "baseline: from the start of the log", false));
    rebuilds.push(await takeOver(sql, store, "from a snapshot at the checkpoint", true));
    const tail = await seedLifecycleLog(store, Math.ceil(TAIL / 12), now());
    await checkpointAtEnd(sql, store);
    rebuilds.push(await takeOver(sql, store, `baseline: from the start, ${num(tail)} events later`, false));
    rebuilds.push(await takeOver(sql, store, `from the same snapshot, ${num(tail)} events behind the checkpoint`, true));

    process.stdout.write(
      [
        "",
        `The saga's state at the end of the log: ${num(fold.state.traces.size)} open traces, ${num(fold.runningCount())} running spans.`,
        "",
        "| a snapshot's part | ms | bytes |",
        "|---|---|---|",
        `| serialise the state (v8, in parts; the longest part ${ms(longestPartMs)} ms) | ${ms(serializeMs)} | ${num(serialized.reduce((sum, c) => sum + c.length, 0))} |`,
        `| compress (deflate, zlib's thread pool) | ${ms(compressMs)} | ${num(image.length)} |`,
        `| store (one upsert proving the lease) | ${ms(saveMs)} | |`,
        `| load, inflate, deserialise (in 10 ms slices) | ${ms(restoreMs)} | |`,
        "",
        "| a new leader's rebuild | events read | of them in the snapshot | time to lead ms | this process's CPU ms | running spans |",
        "|---|---|---|---|---|---|",
        ...rebuilds.map((r) => `| ${r.label} | ${num(r.events)} | ${num(r.fromSnapshot)} | ${ms(r.ms)} | ${ms(r.cpuMs)} | ${num(r.running)} |`),
        "",
      ].join("\n"),
    );
  } finally {
    await sql.end({ timeout: 5 });
    await db.close();
  }
}

await main();
