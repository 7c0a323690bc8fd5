// The saga runner on PostgreSQL, time driven by the spec: alerts while spans
// run, orphans closed through the aggregate, the checkpoint held back until
// the outputs are durable, a replay that rebuilds the same state, and a crash
// between storing alerts and moving the checkpoint that neither loses nor
// doubles an alert.

import { StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeSpans, pendingCommands, type MonitoringEvent } from "../domain/monitoring/index.js";
import type { AppendRequest, AppendResult, EventStore } from "../event-store/event-store.js";
import { decodeTraceEvent } from "../events/trace-event-codec.js";
import { TraceListingProjector } from "../projections/postgres/trace-listing-projector.js";
import { PostgresSubscriptionLease } from "../subscription/postgres/postgres-subscription-lease.js";
import type { SubscriptionLease } from "../subscription/subscription-lease.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { MONITORING_STREAM_ID } from "./monitoring-stream.js";
import type { MonitoringObserver } from "./monitoring-observer.js";
import { MONITORING_SUBSCRIBER, type SagaRunner } from "./saga-runner.js";
import { endSpan, recordError, sagaHarness, SECOND, spanIdOf, startSpan, traceIdOf, type Harness } from "./testing/saga-harness.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

/** Each test on an empty log and no lease: the saga is one per database. */
async function fresh(config: Parameters<typeof sagaHarness>[1] = {}, store?: EventStore): Promise<Harness> {
  await db.sql`truncate events, subscriber_checkpoints, leases, monitoring_alerts, span_index, trace_summaries`;
  return sagaHarness(db.sql, config, store);
}

async function submit(h: Harness, ...commands: Parameters<Harness["bus"]["submit"]>[0][]): Promise<void> {
  for (const result of await h.bus.submitAll(commands)) if (!result.ok) throw new Error(`${result.error.reason}: ${result.error.message}`);
}

function summary(events: readonly MonitoringEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.alertId}`);
}

/** What a replica's state says, in a comparable form. */
function stateOf(runner: SagaRunner, now: bigint) {
  const s = runner.state;
  return {
    running: activeSpans(s, now)
      .map((v) => `${v.traceId}/${v.spanId} slow=${v.slow} closing=${v.closing}`)
      .sort(),
    openAlerts: [...s.openAlerts.keys()].sort(),
    pending: pendingCommands(s)
      .map((c) => JSON.stringify(c))
      .sort(),
    traces: [...s.traces.keys()].sort(),
    services: [...s.services.keys()].sort(),
  };
}

describe("SagaRunner", () => {
  it("raises a slow-span alert while the span runs and resolves it when it ends", async () => {
    const h = await fresh();
    const runner = h.runner();
    const [traceId, spanId] = [traceIdOf(), spanIdOf()];
    const t0 = h.clock.now;
    await submit(h, startSpan(traceId, spanId, t0));
    await runner.step(true);
    expect(runner.isLeader).toBe(true);
    expect(await h.alerts()).toEqual([]);

    h.clock.advance(6n * SECOND);
    await runner.step(true);
    const raised = await h.alerts();
    expect(summary(raised)).toEqual([`AlertRaised slow_span:${traceId}:${spanId}`]);
    expect(raised[0]).toMatchObject({ kind: "slow_span", at: t0 + 5n * SECOND, subject: { type: "span", traceId, spanId, service: "orders" } });
    expect(activeSpans(runner.state, h.clock.now)).toMatchObject([{ traceId, spanId, slow: true }]);

    h.clock.advance(SECOND);
    await submit(h, endSpan(traceId, spanId, t0 + 7n * SECOND));
    await runner.step();
    const all = await h.alerts();
    expect(summary(all)).toEqual([`AlertRaised slow_span:${traceId}:${spanId}`, `AlertResolved slow_span:${traceId}:${spanId}`]);
    expect(all[1]).toMatchObject({ reason: "span_ended", value: 7e9 });
    expect(activeSpans(runner.state, h.clock.now)).toEqual([]);
    await runner.stop();
    await h.close();
  });

  it("stores alerts in a stream that other readers of the log (the ListTraces projector) pass over", async () => {
    const h = await fresh();
    const runner = h.runner();
    const [traceId, spanId] = [traceIdOf(), spanIdOf()];
    await submit(h, startSpan(traceId, spanId, h.clock.now));
    h.clock.advance(6n * SECOND);
    await submit(h, endSpan(traceId, spanId, h.clock.now));
    await runner.step();
    expect(await h.alerts()).toHaveLength(2);
    const projector = new TraceListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read });
    expect(await projector.catchUp()).toBe(4 + 2);
    const listed = await db.sql<{ id: string }[]>`select encode(trace_id, 'hex') as id from trace_summaries`;
    expect(listed.map((r) => r.id)).toEqual([traceId]);
    await runner.stop();
    await h.close();
  });

  it("closes a span left open past the orphan timeout through the aggregate, and the trace completes", async () => {
    const h = await fresh({ orphanTimeoutNs: 30n * SECOND });
    const runner = h.runner();
    const [traceId, spanId] = [traceIdOf(), spanIdOf()];
    await submit(h, startSpan(traceId, spanId, h.clock.now));
    await runner.step(true);
    h.clock.advance(31n * SECOND);
    await runner.step(true);
    // The close went through the bus; the next step reads its events back.
    await runner.step();
    const types = (await h.store.readStream(traceId)).map((e) => decodeTraceEvent(e.type, e.payload).case);
    expect(types).toEqual(["traceStarted", "spanStarted", "spanOrphaned", "traceCompleted"]);
    expect(activeSpans(runner.state, h.clock.now)).toEqual([]);
    expect(pendingCommands(runner.state)).toEqual([]);
    // The slow span and slow trace alerts raised while it ran were resolved by the orphaning.
    expect((await h.alerts()).map((e) => (e.type === "AlertResolved" ? `${e.kind} resolved: ${e.reason}` : e.kind))).toEqual([
      "slow_trace",
      "slow_span",
      "slow_span resolved: span_orphaned",
      "slow_trace resolved: trace_completed",
    ]);
    await runner.stop();
    await h.close();
  });

  it("does not move its checkpoint past outputs that are not durable, and stores them once when it can", async () => {
    let failAlerts = true;
    const h = await fresh();
    const failing: EventStore = Object.create(h.store) as EventStore;
    failing.append = (request: AppendRequest): Promise<AppendResult> => {
      if (request.streamId === MONITORING_STREAM_ID && failAlerts) return Promise.reject(new Error("the disk is full"));
      return h.store.append(request);
    };
    const runner = h.runner({ store: failing });
    const [traceId, spanId] = [traceIdOf(), spanIdOf()];
    await submit(h, startSpan(traceId, spanId, h.clock.now));
    await runner.step(true);
    const before = await h.store.loadCheckpoint(MONITORING_SUBSCRIBER);

    h.clock.advance(6n * SECOND);
    await submit(h, endSpan(traceId, spanId, h.clock.now));
    await expect(runner.step()).rejects.toThrow("the disk is full");
    expect(await h.store.loadCheckpoint(MONITORING_SUBSCRIBER)).toEqual(before);
    expect(await h.alerts()).toEqual([]);

    failAlerts = false;
    await runner.step();
    expect(summary(await h.alerts())).toEqual([`AlertRaised slow_span:${traceId}:${spanId}`, `AlertResolved slow_span:${traceId}:${spanId}`]);
    const after = await h.store.loadCheckpoint(MONITORING_SUBSCRIBER);
    expect(after).toEqual((await h.store.readAll(before, 100)).checkpoint);
    await runner.step(true);
    expect(await h.alerts()).toHaveLength(2);
    await runner.stop();
    await h.close();
  });

  it("backs off while the log cannot be read, instead of retrying without a pause, whatever wakes it", async () => {
    const h = await fresh();
    const failing: EventStore = Object.create(h.store) as EventStore;
    failing.readAll = () => Promise.reject(new Error("the database is down"));
    let failures = 0;
    const log = { info: () => {}, warn: () => {}, debug: () => {}, error: () => void failures++ };
    const runner = h.runner({ store: failing, log: log as never });
    runner.start();
    // Commits wake the runner as ingest goes on; they must not cut the pause short.
    const commits = setInterval(() => runner.wake(), 10);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    clearInterval(commits);
    await runner.stop();
    // 0.5 s, then 1 s: two or three attempts in 1.2 s (hundreds before the pause was honoured).
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(failures).toBeLessThanOrEqual(4);
    await h.close();
  });

  it("rebuilds on taking the lease the same state the previous leader had", async () => {
    const h = await fresh({ orphanTimeoutNs: 20n * SECOND, errorRate: { minSamples: 2, windowNs: 60n * SECOND, bucketNs: 10n * SECOND } });
    const first = h.runner({ holder: "first" });
    const t0 = h.clock.now;
    const traces = Array.from({ length: 6 }, () => ({ traceId: traceIdOf(), spanId: spanIdOf() }));
    for (const [i, t] of traces.entries()) {
      await submit(h, startSpan(t.traceId, t.spanId, t0 + BigInt(i) * SECOND, { serviceName: i % 2 === 0 ? "orders" : "payments" }));
      h.clock.advance(SECOND);
      await first.step();
    }
    // Four end with errors (an error-rate alert on payments and orders), one runs slow, one runs on.
    for (const t of traces.slice(0, 4)) {
      await submit(h, recordError(t.traceId, t.spanId, h.clock.now, "Timeout"), endSpan(t.traceId, t.spanId, h.clock.now, StatusCode.ERROR));
    }
    await first.step(true);
    h.clock.advance(7n * SECOND);
    await first.step(true);
    await submit(h, endSpan(traces[4]!.traceId, traces[4]!.spanId, h.clock.now));
    await first.step(true);
    expect(new Set((await h.alerts()).map((e) => e.type === "AlertRaised" && e.kind))).toEqual(new Set(["slow_span", "error_rate", false]));
    const leaderView = stateOf(first, h.clock.now);
    expect(leaderView.running).toHaveLength(1);
    expect(leaderView.openAlerts.length).toBeGreaterThan(0);

    await first.stop();
    // Ticks so rare that the replay and this step give none: what live ticks raised
    // (the slow alert of the span still running) must come from the monitoring stream.
    const gauge = new Map<string, number>();
    const observer: MonitoringObserver = { alertRaised: () => {}, alertResolved: () => {}, setActiveSpans: () => {}, setOpenAlerts: (counts) => counts.forEach((n, k) => gauge.set(k, n)), setSubscriberLag: () => {} };
    const second = h.runner({ holder: "second", tickIntervalMs: 600_000, observer });
    await second.step();
    expect(second.isLeader).toBe(true);
    expect(stateOf(second, h.clock.now)).toEqual(leaderView);
    // The new leader's open-alert gauge starts from the alerts it rebuilt, though it raised none of them.
    const open = new Map<string, number>();
    for (const alert of first.state.openAlerts.values()) open.set(alert.kind, (open.get(alert.kind) ?? 0) + 1);
    expect(gauge).toEqual(open);
    // Nothing new to say: the rebuilt saga repeats no alert.
    const stored = await h.alerts();
    await second.step(true);
    expect(await h.alerts()).toEqual(stored);

    // And both go on to decide the same: the span left running is orphaned once.
    h.clock.advance(20n * SECOND);
    await second.step(true);
    await second.step();
    const orphaned = (await h.store.readStream(traces[5]!.traceId)).filter((e) => e.type === "SpanOrphaned");
    expect(orphaned).toHaveLength(1);
    const final = await h.alerts();
    expect(new Set(summary(final)).size).toBe(final.length);
    await second.stop();
    await h.close();
  });

  it("loses and doubles no alert when it dies between storing alerts and moving its checkpoint", async () => {
    const h = await fresh();
    let crash = false;
    const crashing = (inner: SubscriptionLease): SubscriptionLease => ({
      claim: (...args) => inner.claim(...args),
      renew: (...args) => inner.renew(...args),
      markInFlight: (...args) => inner.markInFlight(...args),
      release: (...args) => inner.release(...args),
      commitCheckpoint: (...args) => (crash ? Promise.reject(new Error("SIGKILL")) : inner.commitCheckpoint(...args)),
    });
    const leaseA = new PostgresSubscriptionLease(db.sql, h.clock.read);
    const counted = (): MonitoringObserver & { raised: string[]; resolved: string[] } => {
      const o = { raised: [] as string[], resolved: [] as string[] };
      return { ...o, alertRaised: (k) => o.raised.push(k), alertResolved: (k) => o.resolved.push(k), setActiveSpans: () => {}, setOpenAlerts: () => {}, setSubscriberLag: () => {} };
    };
    const seenByA = counted();
    const a = h.runner({ lease: crashing(leaseA), holder: "a", leaseMs: 2000, observer: seenByA });
    const spans = Array.from({ length: 5 }, () => ({ traceId: traceIdOf(), spanId: spanIdOf() }));
    for (const s of spans) await submit(h, startSpan(s.traceId, s.spanId, h.clock.now));
    await a.step(true);
    const checkpoint = await h.store.loadCheckpoint(MONITORING_SUBSCRIBER);

    // Five spans end slow: A stores ten alert events, then dies before its checkpoint moves.
    h.clock.advance(6n * SECOND);
    for (const s of spans) await submit(h, endSpan(s.traceId, s.spanId, h.clock.now));
    crash = true;
    await expect(a.step()).rejects.toThrow("SIGKILL");
    expect(await h.alerts()).toHaveLength(10);
    expect(await h.store.loadCheckpoint(MONITORING_SUBSCRIBER)).toEqual(checkpoint);

    // B takes over once A's lease expires, decides the same slice again, and stores nothing twice.
    const seenByB = counted();
    const b = h.runner({ holder: "b", leaseMs: 2000, observer: seenByB });
    for (let i = 0; i < 200 && !b.isLeader; i++) {
      await b.step();
      if (!b.isLeader) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(b.isLeader).toBe(true);
    await b.step(true);
    const alerts = await h.alerts();
    expect(alerts).toHaveLength(10);
    expect(new Set(summary(alerts)).size).toBe(10);
    expect(await h.store.loadCheckpoint(MONITORING_SUBSCRIBER)).not.toEqual(checkpoint);
    // The metrics count each alert once: A stored them all, B's appends were duplicates.
    expect([seenByA.raised.length, seenByA.resolved.length, seenByB.raised.length, seenByB.resolved.length]).toEqual([5, 5, 0, 0]);

    // A, back from the dead, may not act: its lease is gone.
    crash = false;
    await a.step(true);
    expect(a.isLeader).toBe(false);
    expect(await h.alerts()).toHaveLength(10);
    await b.stop();
    await h.close();
  });

  it("keeps a follower's view of the running spans without acting", async () => {
    const h = await fresh({ orphanTimeoutNs: 10n * SECOND });
    const leader = h.runner({ holder: "leader" });
    const follower = h.runner({ holder: "follower" });
    await leader.step();
    const [traceId, spanId] = [traceIdOf(), spanIdOf()];
    await submit(h, startSpan(traceId, spanId, h.clock.now));
    await follower.step(true);
    expect(follower.isLeader).toBe(false);
    expect(activeSpans(follower.state, h.clock.now).map((s) => s.spanId)).toEqual([spanId]);

    h.clock.advance(11n * SECOND);
    await follower.step(true);
    // It decided the orphan and the slow alert but left acting to the leader.
    expect(activeSpans(follower.state, h.clock.now)).toMatchObject([{ spanId, slow: true, closing: true }]);
    expect(await h.alerts()).toEqual([]);
    expect((await h.store.readStream(traceId)).map((e) => e.type)).not.toContain("SpanOrphaned");

    await leader.step(true);
    await follower.step();
    expect((await h.store.readStream(traceId)).map((e) => e.type)).toContain("TraceCompleted");
    expect(activeSpans(follower.state, h.clock.now)).toEqual([]);
    await leader.stop();
    await follower.stop();
    await h.close();
  });

  it("reports the statistics let go past maxOperations from the leader once each: not from a follower, nor again from a rebuild", async () => {
    const h = await fresh({ maxOperations: 2 });
    const evicted = { a: 0, follower: 0, b: 0 };
    const counting = (who: keyof typeof evicted): MonitoringObserver => ({
      alertRaised: () => {},
      alertResolved: () => {},
      setActiveSpans: () => {},
      setOpenAlerts: () => {},
      setSubscriberLag: () => {},
      statsEvicted: (count) => (evicted[who] += count),
    });
    const calls = async (names: readonly string[]) => {
      for (const name of names) {
        const [traceId, spanId] = [traceIdOf(), spanIdOf()];
        await submit(h, startSpan(traceId, spanId, h.clock.now, { name }), endSpan(traceId, spanId, h.clock.now + 1_000_000n));
      }
    };
    const a = h.runner({ holder: "a", observer: counting("a") });
    const follower = h.runner({ holder: "follower", observer: counting("follower") });
    await a.step();
    // Five names of one service: three operations go; the service stays.
    await calls(["GET /orders/1", "GET /orders/2", "GET /orders/3", "GET /orders/4", "GET /orders/5"]);
    await a.step(true);
    await follower.step(true);
    expect(a.state.statsEvicted).toBe(3);
    expect(follower.state.statsEvicted).toBe(3);
    expect(evicted).toEqual({ a: 3, follower: 0, b: 0 });

    // B takes over and rebuilds by replaying the log (three let go again): it reports only what goes after.
    await a.stop();
    const b = h.runner({ holder: "b", observer: counting("b") });
    await b.step();
    expect(b.isLeader).toBe(true);
    expect(evicted.b).toBe(0);
    await calls(["GET /orders/6", "GET /orders/7"]);
    await b.step(true);
    expect(evicted).toEqual({ a: 3, follower: 0, b: 2 });
    await b.stop();
    await follower.stop();
    await h.close();
  });
});
