// The saga's snapshot on PostgreSQL, with the real runner, lease and command bus.
// A snapshot must be the fold exactly (a fold restored from it and given the rest of
// the log equals the fold that read it all, Map orders included), a new leader or a starting
// replica must go on from it and decide what a fold from the log's start decides,
// and a snapshot the server cannot trust must be passed over, never decided on.

import { StatusCode } from "@traceledger/proto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresClient } from "../database/open-database.js";
import { monitoringConfig, type MonitoringEvent, type MonitoringOutput, type MonitoringState } from "../domain/monitoring/index.js";
import { START_OF_LOG, type StoredEvent } from "../event-store/event-store.js";
import { createLogger } from "../log/logger.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { PostgresSubscriptionLease } from "../subscription/postgres/postgres-subscription-lease.js";
import { AlertRetention } from "../retention/alert-retention.js";
import { ALERT_LISTING_SUBSCRIBER, AlertListingProjector } from "./alert-listing-projector.js";
import { PostgresSagaSnapshotStore } from "./postgres-saga-snapshot-store.js";
import { MONITORING_STREAM_ID, toNewAlertEvent } from "./monitoring-stream.js";
import { SagaFold } from "./saga-fold.js";
import { SAGA_SNAPSHOT_FORMAT, sagaConfigDigest, type SagaSnapshotStore } from "./saga-snapshot.js";
import { MONITORING_SUBSCRIBER, type SagaRunner, type SagaRunnerOptions } from "./saga-runner.js";
import { runToEnd, TimeSlices } from "../trace-reads/time-slices.js";
import { compressImage, decodeImage, encodeImage } from "./saga-image-codec.js";
import { RestoreAbandoned, SagaSnapshotKeeper } from "./saga-snapshot-keeper.js";
import { endSpan, recordError, sagaHarness, SECOND, spanIdOf, startSpan, traceIdOf, type Harness } from "./testing/saga-harness.js";
import { inOrder } from "./testing/in-order.js";

let db: TestDatabase;
let snapshots: PostgresSagaSnapshotStore;

beforeAll(async () => {
  db = await createTestDatabase();
  snapshots = new PostgresSagaSnapshotStore(db.sql);
});

afterAll(async () => {
  await db?.drop();
});

// Every rule of the saga gets to act within a few seconds: slow spans and traces, error rates,
// latency baselines, critical errors, orphans and idle traces begun elsewhere.
const CONFIG = {
  slowSpan: { defaultNs: 2n * SECOND },
  slowTraceThresholdNs: 3n * SECOND,
  errorRate: { threshold: 0.1, windowNs: 20n * SECOND, bucketNs: 5n * SECOND, minSamples: 10 },
  criticalErrorTypes: ["DataLoss"],
  orphanTimeoutNs: 8n * SECOND,
  traceIdleTimeoutNs: 6n * SECOND,
};
const TICK_NS = SECOND;

/** An empty database, a harness on it and its traffic. */
async function fresh(): Promise<{ h: Harness; t: Traffic }> {
  await db.sql`truncate events, subscriber_checkpoints, leases, monitoring_alerts, span_index, trace_summaries, saga_snapshots`;
  const h = sagaHarness(db.sql, CONFIG);
  return { h, t: traffic(h) };
}

/** A runner's options for a leader that snapshots as soon as it has read 50 events since the last. */
const snapshotting = (): Partial<SagaRunnerOptions> => ({ snapshots, snapshotEveryEvents: 50, snapshotMinIntervalMs: 0 });

async function submit(h: Harness, commands: Parameters<Harness["bus"]["submitAll"]>[0]): Promise<void> {
  for (const result of await h.bus.submitAll(commands)) if (!result.ok) throw new Error(`${result.error.reason}: ${result.error.message}`);
}

interface Traffic {
  /** `seconds` of traffic from `from` on; the runner (if any) steps and ticks after each, as a leader runs. */
  run(runner: SagaRunner | undefined, from: number, seconds: number): Promise<void>;
}

/**
 * Seconds of traffic, the clock moving a second on after each: eight calls of "GET /orders",
 * three of them failing while the second is under 5; a "batch" span that runs for three
 * seconds; every fourth second a span that never ends (the saga closes it as an orphan), a
 * trace begun elsewhere (closed once idle) and a critical error.
 */
function traffic(h: Harness): Traffic {
  const long: { traceId: string; spanId: string }[] = [];
  const second = async (n: number) => {
    const t = h.clock.now;
    const calls = Array.from({ length: 8 }, () => ({ traceId: traceIdOf(), spanId: spanIdOf() }));
    const batch = { traceId: traceIdOf(), spanId: spanIdOf() };
    await submit(h, [...calls.map((c) => startSpan(c.traceId, c.spanId, t)), startSpan(batch.traceId, batch.spanId, t, { serviceName: "batch" })]);
    await submit(h, calls.map((c, i) => endSpan(c.traceId, c.spanId, t + BigInt(1 + i) * 1_000_000n, n < 5 && i < 3 ? StatusCode.ERROR : StatusCode.OK)));
    if (n % 4 === 0) {
      const [lost, remote, remoteSpan, broken, brokenSpan] = [traceIdOf(), traceIdOf(), spanIdOf(), traceIdOf(), spanIdOf()];
      await submit(h, [
        startSpan(lost, spanIdOf(), t, { serviceName: "lost" }),
        startSpan(remote, remoteSpan, t, { serviceName: "edge", parentSpanId: spanIdOf(), parentIsRemote: true }),
        startSpan(broken, brokenSpan, t, { serviceName: "store" }),
      ]);
      await submit(h, [
        recordError(broken, brokenSpan, t + 1_000_000n, "DataLoss"),
        endSpan(broken, brokenSpan, t + 2_000_000n, StatusCode.ERROR),
        endSpan(remote, remoteSpan, t + 3_000_000n),
      ]);
    }
    long.push(batch);
    if (long.length > 3) {
      const done = long.shift()!;
      await submit(h, [endSpan(done.traceId, done.spanId, t)]);
    }
    h.clock.advance(SECOND);
  };
  return {
    async run(runner, from, seconds) {
      for (let n = from; n < from + seconds; n++) {
        await second(n);
        await runner?.step(true);
      }
    },
  };
}

async function allEvents(h: Harness): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (let checkpoint = START_OF_LOG; ; ) {
    const slice = await h.store.readAll(checkpoint, 1000);
    events.push(...slice.events);
    if (slice.events.length < 1000) return events;
    checkpoint = slice.checkpoint;
  }
}

/** What the saga holds, in a form two folds can be compared by whatever ticks they were given. */
function held(state: MonitoringState) {
  return {
    running: [...state.liveTraces].flatMap((t) => [...t.running.values()].map((s) => `${s.traceId}/${s.spanId} close:${s.closeRequested} slow:${s.slowAlertId ?? "-"}`)).sort(),
    traces: [...state.traces.values()].map((t) => `${t.traceId} v${t.version} close:${t.closeRequested}`).sort(),
    openAlerts: [...state.openAlerts.keys()].sort(),
    statisticAlerts: [...state.statisticAlerts.keys()].sort(),
    heldAlerts: [...state.heldAlerts.values()].map((e) => `${e.type} ${e.alertId}`).sort(),
    services: [...state.services.values()].map((s) => `${s.service} ${JSON.stringify(s.errors)} ${s.errorAlertId ?? "-"}`).sort(),
    operations: [...state.operations.values()]
      .map((o) => `${o.service}/${o.operation} n=${o.baseline.samples} mean=${o.baseline.meanNs} streak=${o.normalStreak} ${JSON.stringify(o.errors)} ${o.errorAlertId ?? "-"} ${o.anomalyAlertId ?? "-"}`)
      .sort(),
  };
}

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

function logged(): { lines: LogLine[]; log: SagaRunnerOptions["log"] } {
  const lines: LogLine[] = [];
  return { lines, log: createLogger("debug", {}, (line) => lines.push(JSON.parse(line) as LogLine)) };
}

/** A port on 127.0.0.1 that was just freed: nothing listens there. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

const rebuilt = (lines: readonly LogLine[]) => lines.filter((l) => l.msg === "monitoring: saga state rebuilt");

/** Steps until the runner holds the lease (one held by a dead replica expires on the database's clock). */
async function takeLease(runner: SagaRunner): Promise<void> {
  for (let i = 0; i < 100 && !runner.isLeader; i++) {
    await runner.step(true);
    if (!runner.isLeader) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(runner.isLeader).toBe(true);
}

describe("the saga's snapshot", () => {
  it("is the fold exactly: restored at any event and given the rest, it is the very fold that read everything", async () => {
    const { h, t } = await fresh();
    const leader = h.runner({ holder: "a" });
    await t.run(leader, 0, 14);
    await leader.stop();
    const events = await allEvents(h);
    expect(events.length).toBeGreaterThan(300);
    const config = monitoringConfig(CONFIG);

    const whole = new SagaFold(config, TICK_NS);
    const wholeOutputs: MonitoringOutput[][] = [];
    for (const event of events) {
      const out: MonitoringOutput[] = [];
      whole.event(event, out);
      wholeOutputs.push(out);
    }
    // Every kind of state was there to be kept: open and resolved alerts of each rule, spans and traces the leader closed.
    const kinds = new Set(wholeOutputs.flat().map((o) => (o.type === "AlertRaised" ? o.kind : o.type)));
    for (const kind of ["critical_error", "error_rate", "slow_span", "slow_trace", "AlertResolved"]) expect(kinds).toContain(kind);
    const types = new Set(events.map((e) => e.type));
    for (const type of ["SpanOrphaned", "TraceCompleted"]) expect(types).toContain(type);

    // What a snapshot of this format holds. A field added, removed or renamed fails here: bump
    // SAGA_SNAPSHOT_FORMAT (stored snapshots of the old shape are then passed over) and update the list.
    const image = whole.image();
    const [trace] = [...image.state.liveTraces];
    const [operation] = [...image.state.operations.values()];
    const keys = (o: object | undefined) => Object.keys(o ?? {}).sort();
    expect({
      format: SAGA_SNAPSHOT_FORMAT,
      fold: keys(image),
      state: keys(image.state),
      trace: keys(trace),
      span: keys([...trace!.running.values()][0]),
      operation: keys(operation),
      baseline: keys(operation?.baseline),
      errors: keys(operation?.errors),
      service: keys([...image.state.services.values()][0]),
    }).toMatchInlineSnapshot(`
      {
        "baseline": [
          "meanNs",
          "samples",
          "varianceNs2",
        ],
        "errors": [
          "bucketOf",
          "ended",
          "errored",
        ],
        "fold": [
          "lastTick",
          "newestRecorded",
          "nextTick",
          "state",
        ],
        "format": 7,
        "operation": [
          "anomalyAlertId",
          "baseline",
          "errorAlertId",
          "errors",
          "grainEnd",
          "lastActivity",
          "lastBucket",
          "normalStreak",
          "operation",
          "service",
        ],
        "service": [
          "errorAlertId",
          "errors",
          "grainEnd",
          "lastActivity",
          "lastBucket",
          "service",
        ],
        "span": [
          "closeRequested",
          "criticalAlertIds",
          "kind",
          "name",
          "openSince",
          "operationKey",
          "service",
          "slowAlertId",
          "slowThresholdNs",
          "spanId",
          "startTime",
          "traceId",
        ],
        "state": [
          "clock",
          "heldAlerts",
          "liveTraces",
          "openAlerts",
          "operations",
          "services",
          "statisticAlerts",
          "statsEvicted",
          "tickedBucket",
          "traces",
        ],
        "trace": [
          "closeRequested",
          "grainEnd",
          "hasLocalRoot",
          "lastActivity",
          "openSince",
          "operation",
          "operationSpanId",
          "running",
          "service",
          "slowAlertId",
          "startTime",
          "traceId",
          "version",
        ],
      }
    `);

    for (const cut of [1, Math.floor(events.length / 3), Math.floor(events.length / 2), events.length - 7]) {
      const before = new SagaFold(config, TICK_NS);
      for (const event of events.slice(0, cut)) before.event(event, []);
      if (cut > events.length / 3) expect(before.state.traces.size).toBeGreaterThan(6);
      // In parts of 3 traces: the state holds a few more open ones than that.
      const image = await decodeImage(await compressImage(runToEnd(encodeImage(before.image(), 3))));
      const restored = new SagaFold(config, TICK_NS, undefined, { image, events: cut, alertsVersion: 0 });
      expect(restored.eventsRead).toBe(cut);
      for (let i = cut; i < events.length; i++) {
        const out: MonitoringOutput[] = [];
        restored.event(events[i]!, out);
        expect(out, `outputs of event ${i} after a restore at ${cut}`).toEqual(wholeOutputs[i]);
      }
      expect(inOrder(restored.image()), `state after a restore at ${cut}`).toStrictEqual(inOrder(whole.image()));
      // The running-span index shares its traces with the trace map, as in the fold that read everything.
      for (const trace of restored.state.liveTraces) expect(restored.state.traces.get(trace.traceId)).toBe(trace);
    }
    await h.close();
  });

  it("is written by the leader at its committed checkpoint, and a new leader goes on from it to the state a fold from the start reaches", async () => {
    const { h, t } = await fresh();
    let dead = false;
    const lease = new PostgresSubscriptionLease(db.sql, h.clock.read);
    const a = h.runner({
      holder: "a",
      leaseMs: 1000,
      // Dies (as a process would) between storing its alerts and moving its checkpoint, once `dead`.
      lease: Object.assign(Object.create(lease) as PostgresSubscriptionLease, {
        commitCheckpoint: (...args: Parameters<PostgresSubscriptionLease["commitCheckpoint"]>) => (dead ? Promise.reject(new Error("SIGKILL")) : lease.commitCheckpoint(...args)),
      }),
      snapshots,
      snapshotEveryEvents: 100,
      snapshotMinIntervalMs: 0,
    });
    await t.run(a, 0, 12);
    const snapshot = await snapshots.load(MONITORING_SUBSCRIBER);
    expect(snapshot).toBeDefined();
    const checkpoint = await h.store.loadCheckpoint(MONITORING_SUBSCRIBER);
    // Written after a step's commit: at most the checkpoint, never past it.
    expect(snapshot!.checkpoint.transactionId <= checkpoint.transactionId).toBe(true);
    expect(snapshot!.events).toBeGreaterThan(100);
    const stored = (await h.alerts()).length;
    dead = true;
    await t.run(undefined, 12, 1);
    await expect(a.step(true)).rejects.toThrow("SIGKILL");
    const alertEvents = (await h.alerts()).length;
    // A second with a critical error: A stored alerts past its checkpoint before it died.
    expect(alertEvents).toBeGreaterThan(stored);
    expect(snapshot!.alertsVersion).toBeGreaterThan(0);
    // The log goes on while nobody leads.
    await t.run(undefined, 13, 2);

    const { lines, log } = logged();
    // A 1 s lease, as A's: it tries to take it three times a second.
    const b = h.runner({ holder: "b", snapshots, snapshotEveryEvents: 0, log, leaseMs: 1000 });
    await takeLease(b);
    const [rebuild] = rebuilt(lines);
    expect(rebuild).toMatchObject({ from_snapshot: snapshot!.events });
    // Nor are the alert events it holds folded again.
    expect(rebuild!.alert_events).toBe(alertEvents - snapshot!.alertsVersion);
    // Only what came after the snapshot was read again.
    const total = (await allEvents(h)).length;
    expect(rebuild!.events as number).toBeLessThan(total - snapshot!.events + 1);
    await t.run(b, 15, 12);
    // Reads the effects of the closes its last tick sent (no tick: the clock has not moved).
    await b.step();
    await b.stop();

    const { lines: cLines, log: cLog } = logged();
    const c = h.runner({ holder: "c", log: cLog });
    await takeLease(c);
    expect(rebuilt(cLines)[0]).toMatchObject({ from_snapshot: 0 });
    expect(held(b.state)).toEqual(held(c.state));
    expect(held(b.state).running.length).toBeGreaterThan(0);
    // No alert was decided twice: each raise and each resolution is stored once.
    const alerts = await h.alerts();
    const keys = alerts.map((e) => `${e.type} ${e.alertId}`);
    expect(new Set(keys).size).toBe(keys.length);
    await c.stop();
    await h.close();
  });

  it("holds the alerts of the stream only up to one another replica stored: a rebuild from it folds that one too", async () => {
    const { h, t } = await fresh();
    const a = h.runner({ holder: "a", ...snapshotting() });
    await t.run(a, 0, 4);
    // Stored by a replica that lost the lease (with other settings, say): an alert A never decides,
    // about a span in the log (one whose trace the log does not have is resolved as deleted).
    const [foreignTrace, foreignSpan] = [traceIdOf(), spanIdOf()];
    expect((await h.bus.submit(startSpan(foreignTrace, foreignSpan, h.clock.now, { serviceName: "elsewhere" }))).ok).toBe(true);
    const foreign: MonitoringEvent = {
      type: "AlertRaised",
      alertId: `slow_span:${foreignTrace}:${foreignSpan}`,
      kind: "slow_span",
      subject: { type: "span", traceId: foreignTrace, spanId: foreignSpan, service: "elsewhere", operation: "GET /x" },
      at: h.clock.now,
      value: 1,
      threshold: 1,
      unit: "ns",
      message: "stored by a replica that lost the lease",
    };
    await h.store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: [toNewAlertEvent(foreign)] });
    // A goes on storing alerts of its own after it, and snapshots.
    await t.run(a, 4, 6);
    const snapshot = (await snapshots.load(MONITORING_SUBSCRIBER))!;
    const stream = await h.alerts();
    const foreignAt = stream.findIndex((e) => e.alertId === foreign.alertId) + 1;
    expect(stream.length).toBeGreaterThan(foreignAt);
    expect(snapshot.alertsVersion).toBe(foreignAt - 1);
    await a.stop();

    const b = h.runner({ holder: "b", snapshots, snapshotEveryEvents: 0 });
    await takeLease(b);
    await b.stop();
    const c = h.runner({ holder: "c" });
    await takeLease(c);
    await c.stop();
    expect(b.state.openAlerts.has(foreign.alertId)).toBe(true);
    expect(held(b.state)).toEqual(held(c.state));
    await h.close();
  });

  it("may hold open an alert that was resolved and deleted by retention since: a rebuild from it lets go of that alert", async () => {
    const { h, t } = await fresh();
    const a = h.runner({ holder: "a" });
    await t.run(a, 0, 4);
    // An alert stored by a replica that lost the lease, about a span in the log (ended: no tick
    // raises it again): B folds it when it takes the lease.
    const subject = { type: "span" as const, traceId: traceIdOf(), spanId: spanIdOf(), service: "elsewhere", operation: "GET /x" };
    expect((await h.bus.submit(startSpan(subject.traceId, subject.spanId, h.clock.now, { serviceName: "elsewhere" }))).ok).toBe(true);
    expect((await h.bus.submit(endSpan(subject.traceId, subject.spanId, h.clock.now + 1000n))).ok).toBe(true);
    const raised: MonitoringEvent = { type: "AlertRaised", alertId: `slow_span:${subject.traceId}:${subject.spanId}`, kind: "slow_span", subject, at: h.clock.now, value: 1, threshold: 1, unit: "ns", message: "stored elsewhere" };
    await h.store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: [toNewAlertEvent(raised)] });
    await a.stop();
    const b = h.runner({ holder: "b", ...snapshotting() });
    await takeLease(b);
    expect(b.state.openAlerts.has(raised.alertId)).toBe(true);
    await t.run(b, 4, 3);
    // Resolved by that replica too: B does not fold it (it folds the stream only when it rebuilds).
    const resolved: MonitoringEvent = { type: "AlertResolved", alertId: raised.alertId, kind: "slow_span", subject, at: h.clock.now, reason: "span_ended", value: 2, unit: "ns" };
    await h.store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: [toNewAlertEvent(resolved)] });
    await t.run(b, 7, 3);
    await b.stop();
    const snapshot = (await snapshots.load(MONITORING_SUBSCRIBER))!;
    const resolvedAt = (await h.alerts()).findIndex((e) => e.type === "AlertResolved" && e.alertId === raised.alertId) + 1;
    expect(snapshot.alertsVersion).toBeLessThan(resolvedAt);

    // Every alert resolved a second ago or more goes, the foreign one with them.
    await new AlertListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read }).catchUp();
    h.clock.advance(2n * SECOND);
    const retention = new AlertRetention({ sql: db.sql, store: h.store, retentionNs: SECOND, logSubscribers: [MONITORING_SUBSCRIBER], streamReaders: [ALERT_LISTING_SUBSCRIBER], clock: h.clock.read });
    expect((await retention.pass()).alerts).toBeGreaterThan(1);
    expect((await h.alerts()).some((e) => e.alertId === raised.alertId)).toBe(false);

    const { lines, log } = logged();
    const c = h.runner({ holder: "c", snapshots, snapshotEveryEvents: 0, log });
    await takeLease(c);
    expect(rebuilt(lines)[0]).toMatchObject({ from_snapshot: snapshot.events });
    expect(c.state.openAlerts.has(raised.alertId)).toBe(false);
    expect(lines.find((l) => l.msg === "monitoring: let go of alerts the rebuilt state held open whose raise is no longer stored")).toMatchObject({ alerts: expect.any(Number) });
    // Reads the effects of the closes its first tick sent (no tick: the clock has not moved).
    await c.step();
    await c.stop();
    // The same state as a rebuild from the log's start, which never saw the deleted alerts.
    const d = h.runner({ holder: "d" });
    await takeLease(d);
    await d.stop();
    expect(held(c.state)).toEqual(held(d.state));
    await h.close();
  });

  it("lets a starting replica's first fold go on from it while another replica leads", async () => {
    const { h, t } = await fresh();
    const a = h.runner({ holder: "a", ...snapshotting() });
    await t.run(a, 0, 9);
    const snapshot = await snapshots.load(MONITORING_SUBSCRIBER);
    expect(snapshot).toBeDefined();
    await t.run(a, 9, 2);

    const { lines, log } = logged();
    const follower = h.runner({ holder: "f", snapshots, log });
    await follower.step(true);
    expect(follower.isLeader).toBe(false);
    expect(lines.find((l) => l.msg === "monitoring: the saga's state goes on from its snapshot")).toMatchObject({ events: expect.any(Number) });
    await a.step(true);
    expect(held(follower.state)).toEqual(held(a.state));
    await a.stop();
    await follower.stop();
    await h.close();
  });

  it("is passed over when folded under another configuration, unreadable, or past the checkpoint", async () => {
    const { h, t } = await fresh();
    const a = h.runner({ holder: "a", ...snapshotting() });
    await t.run(a, 0, 6);
    await a.stop();
    expect(await snapshots.load(MONITORING_SUBSCRIBER)).toBeDefined();
    // What the runner's reads of the real store brought back: a snapshot it cannot use comes without its image.
    const fetched: (Buffer | undefined)[] = [];
    const watched: SagaSnapshotStore = {
      load: async (...args) => {
        const snapshot = await snapshots.load(...args);
        fetched.push(snapshot?.image);
        return snapshot;
      },
      save: (...args) => snapshots.save(...args),
    };
    const takeOver = async (holder: string, options: Partial<SagaRunnerOptions> = {}) => {
      const { lines, log } = logged();
      const runner = h.runner({ holder, snapshots: watched, snapshotEveryEvents: 0, log, ...options });
      await takeLease(runner);
      await runner.stop();
      return lines;
    };

    // Thresholds live in the state (a span's slow threshold is fixed at its start).
    const other = await takeOver("b", { config: monitoringConfig({ ...CONFIG, slowSpan: { defaultNs: 3n * SECOND } }) });
    expect(rebuilt(other)[0]).toMatchObject({ from_snapshot: 0 });
    expect(other.some((l) => l.msg.includes("another format or configuration"))).toBe(true);
    expect(fetched).toEqual([undefined]);
    // So does the spacing of the ticks a replay gives.
    expect(rebuilt(await takeOver("c", { tickIntervalMs: 2000 }))[0]).toMatchObject({ from_snapshot: 0 });

    const trusted = await takeOver("d");
    expect((rebuilt(trusted)[0]!.from_snapshot as number) > 0).toBe(true);
    expect(fetched[2]).toBeInstanceOf(Buffer);

    await db.sql`update saga_snapshots set state = '\\x0102'::bytea`;
    const corrupt = await takeOver("e");
    expect(corrupt.find((l) => l.level === "warn")?.msg).toContain("could not be decoded");
    expect(rebuilt(corrupt)[0]).toMatchObject({ from_snapshot: 0 });

    await db.sql`update saga_snapshots set state = ${await compressImage(runToEnd(encodeImage(new SagaFold(monitoringConfig(CONFIG), TICK_NS).image())))}, tx_id = (tx_id::text::int8 + 1000000)::text::xid8`;
    const ahead = await takeOver("f");
    expect(ahead.find((l) => l.level === "warn")?.msg).toContain("past its checkpoint");
    expect(rebuilt(ahead)[0]).toMatchObject({ from_snapshot: 0 });
    await h.close();
  });

  it("is passed over when the database refuses to read it (the table gone, a right revoked), not when it cannot be reached", async () => {
    const { h, t } = await fresh();
    const a = h.runner({ holder: "a", ...snapshotting() });
    await t.run(a, 0, 9);
    expect(await snapshots.load(MONITORING_SUBSCRIBER)).toBeDefined();
    await db.sql`alter table saga_snapshots rename to saga_snapshots_away`;
    try {
      // A starting replica becomes ready, folding the log from its start, with the leader's state.
      const { lines, log } = logged();
      const follower = h.runner({ holder: "f", snapshots, log });
      await follower.step(true);
      expect(follower.isLeader).toBe(false);
      await follower.ready;
      expect(lines.find((l) => l.level === "warn")).toMatchObject({ msg: "monitoring: the saga's snapshot could not be read; folding the log from its start" });
      await a.step(true);
      expect(held(follower.state)).toEqual(held(a.state));
      await follower.stop();
      // So does a new leader's rebuild.
      await a.stop();
      const b = h.runner({ holder: "b", snapshots, snapshotEveryEvents: 0, log });
      await takeLease(b);
      expect(rebuilt(lines).at(-1)).toMatchObject({ from_snapshot: 0 });
      await b.stop();
    } finally {
      await db.sql`alter table saga_snapshots_away rename to saga_snapshots`;
    }
    // A store that cannot be reached (a client for a port nobody listens on) fails the step,
    // which is retried: the snapshot may be readable soon.
    const closed = new URL(db.url);
    closed.port = String(await closedPort());
    const nowhere = createPostgresClient(closed.toString(), { max: 1 });
    try {
      const c = h.runner({ holder: "c", snapshots: new PostgresSagaSnapshotStore(nowhere) });
      await expect(c.step(true)).rejects.toThrow("ECONNREFUSED");
      await c.stop();
    } finally {
      await nowhere.end({ timeout: 1 });
    }
    await h.close();
  });

  it("is decoded in time slices a rebuild renews its lease in, and given up at once when the lease is lost", async () => {
    const { h, t } = await fresh();
    const a = h.runner({ holder: "a" });
    await t.run(a, 0, 6);
    await a.stop();
    // The state in parts of 3 records, so that decoding it pauses (a real one pauses every 1,000).
    const config = monitoringConfig(CONFIG);
    const fold = new SagaFold(config, TICK_NS);
    for (const event of await allEvents(h)) fold.event(event, []);
    const lease = new PostgresSubscriptionLease(db.sql, h.clock.read);
    const claim = (await lease.claim(MONITORING_SUBSCRIBER, 0, "writer", 60_000))!;
    const image = await compressImage(runToEnd(encodeImage(fold.image(), 3)));
    const checkpoint = await h.store.loadCheckpoint(MONITORING_SUBSCRIBER);
    const snapshot = { format: SAGA_SNAPSHOT_FORMAT, configDigest: sagaConfigDigest(config, TICK_NS), checkpoint, alertsVersion: 0, events: fold.eventsRead, writtenAt: 0n, image };
    expect(await snapshots.save(claim, snapshot)).toBe(true);
    await lease.release(claim);

    const keeper = new SagaSnapshotKeeper({ snapshots, subscriberId: MONITORING_SUBSCRIBER, config, tickNs: TICK_NS, clock: h.clock.read, everyEvents: 0, minIntervalMs: 0 });
    let pauses = 0;
    const restored = await keeper.restore(undefined, undefined, new TimeSlices(0, async () => void pauses++));
    expect(pauses).toBeGreaterThan(3);
    expect(inOrder(restored!.fold.image())).toStrictEqual(inOrder(fold.image()));
    // A lost lease is not a snapshot that cannot be decoded: the rebuild ends, it does not fold the log instead.
    const abandoned = keeper.restore(undefined, undefined, new TimeSlices(0, () => Promise.reject(new RestoreAbandoned())));
    await expect(abandoned).rejects.toBeInstanceOf(RestoreAbandoned);
    await h.close();
  });

  it("is written only by the lease's holder while it holds it: a replica that lost the lease replaces nothing", async () => {
    const { h, t } = await fresh();
    const a = h.runner({ holder: "a", ...snapshotting() });
    await t.run(a, 0, 6);
    const [lease] = await db.sql<{ token: string }[]>`select token::text as token from leases where name = ${MONITORING_SUBSCRIBER}`;
    const loaded = (await snapshots.load(MONITORING_SUBSCRIBER))!;
    const stored = { ...loaded, image: loaded.image! };
    const stale = { subscriberId: MONITORING_SUBSCRIBER, shard: 0, holder: "a", token: BigInt(lease!.token) - 1n };
    expect(await snapshots.save(stale, { ...stored, events: 1 })).toBe(false);
    expect(await snapshots.save({ ...stale, holder: "z", token: BigInt(lease!.token) }, { ...stored, events: 1 })).toBe(false);
    // The holder's own token, once its lease has expired.
    const holder = { ...stale, token: BigInt(lease!.token) };
    expect(await snapshots.save(holder, { ...stored, events: 2 })).toBe(true);
    await db.sql`update leases set expires_at = clock_timestamp() - interval '1 second' where name = ${MONITORING_SUBSCRIBER}`;
    expect(await snapshots.save(holder, { ...stored, events: 1 })).toBe(false);
    expect((await snapshots.load(MONITORING_SUBSCRIBER))!.events).toBe(2);
    await a.stop();
    await h.close();
  });
});
