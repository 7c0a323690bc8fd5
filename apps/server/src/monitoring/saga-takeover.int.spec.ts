// A change of saga leader on PostgreSQL, with the real runner, lease and
// command bus: leader A raises an error-rate alert; A stops (or dies); B takes
// the lease. B must not resolve the alert while the error rate stays above the
// threshold, must resolve it once it has fallen, and must not open a second
// episode for the same stretch of errors. The rebuilt windows come from the
// log (saga-runner.ts); a checkpoint left behind the stored alerts by a death
// between storing them and moving it is the case that went wrong
// (domain/monitoring/stored-alerts.ts).

import { SpanEndReason, StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitoringConfig, type MonitoringEvent } from "../domain/monitoring/index.js";
import { PostgresSubscriptionLease } from "../subscription/postgres/postgres-subscription-lease.js";
import type { SubscriptionLease } from "../subscription/subscription-lease.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { matching, parsePrometheusText, seriesOf } from "../../test/support/prometheus-text.js";
import { ServerMetrics } from "../metrics/server-metrics.js";
import { ActiveSpanFeed } from "./active-span-feed.js";
import { viewOf } from "./saga-fold.js";
import type { MonitoringObserver } from "./monitoring-observer.js";
import { MONITORING_SUBSCRIBER, type SagaRunner } from "./saga-runner.js";
import { endSpan, sagaHarness, SECOND, spanIdOf, startSpan, traceIdOf, type Harness } from "./testing/saga-harness.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

// 20 s windows of four 5 s buckets, judged from 10 spans: short phases, real windows.
const CONFIG = { errorRate: { threshold: 0.1, windowNs: 20n * SECOND, bucketNs: 5n * SECOND, minSamples: 10 } };

async function fresh(): Promise<Harness> {
  await db.sql`truncate events, subscriber_checkpoints, leases, monitoring_alerts, span_index, trace_summaries`;
  return sagaHarness(db.sql, CONFIG);
}

/**
 * One second of traffic: `calls` calls of "GET /orders" (orders), each its own trace,
 * ending 1 ms after they start, the last `errors` of them failing; then the clock moves
 * a second on.
 */
async function second(h: Harness, calls: number, errors: number): Promise<void> {
  const spans = Array.from({ length: calls }, () => ({ traceId: traceIdOf(), spanId: spanIdOf() }));
  const t = h.clock.now;
  for (const result of await h.bus.submitAll(spans.map((s) => startSpan(s.traceId, s.spanId, t)))) if (!result.ok) throw new Error(result.error.message);
  const ends = spans.map((s, i) => endSpan(s.traceId, s.spanId, t + 1_000_000n, i >= calls - errors ? StatusCode.ERROR : StatusCode.OK));
  for (const result of await h.bus.submitAll(ends)) if (!result.ok) throw new Error(result.error.message);
  h.clock.advance(SECOND);
}

/** `seconds` seconds of traffic, the runner stepping (and ticking) after each, as a leader runs. */
async function run(h: Harness, runner: SagaRunner, seconds: number, errorsPerTen: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    await second(h, 10, errorsPerTen);
    await runner.step(true);
  }
}

const rateEvents = async (h: Harness) => (await h.alerts()).filter((e) => e.kind === "error_rate");
/** `fellAt`: from when the windowed rate is at or below 10%; a resolution dated before it is early. */
const describeEvent = (e: MonitoringEvent, fellAt: bigint) =>
  e.type === "AlertRaised" ? `raised ${e.subject.type}` : `resolved ${e.subject.type} (${e.reason}) ${e.at >= fellAt ? "once the rate fell" : "early"}`;
const ONE_EPISODE = ["raised service", "raised operation", "resolved service (below_threshold) once the rate fell", "resolved operation (below_threshold) once the rate fell"];

/** A lease whose commitCheckpoint dies (as the process would) while `dead()` says so. */
function dying(inner: SubscriptionLease, dead: () => boolean): SubscriptionLease {
  return {
    claim: (...args) => inner.claim(...args),
    renew: (...args) => inner.renew(...args),
    markInFlight: (...args) => inner.markInFlight(...args),
    release: (...args) => inner.release(...args),
    commitCheckpoint: (...args) => (dead() ? Promise.reject(new Error("SIGKILL")) : inner.commitCheckpoint(...args)),
  };
}

/** B takes the lease once A's (2 s, held by a dead process) has expired. */
/** No more errors for 25 s: the rate falls within a window, and the one episode resolves, once. */
async function errorsStopThenOneEpisode(h: Harness, runner: SagaRunner): Promise<void> {
  const errorsStopped = h.clock.now;
  await run(h, runner, 25, 0);
  expect((await rateEvents(h)).map((e) => describeEvent(e, errorsStopped + 10n * SECOND))).toEqual(ONE_EPISODE);
}

async function takeOver(b: SagaRunner): Promise<void> {
  for (let i = 0; i < 200 && !b.isLeader; i++) {
    await b.step();
    if (!b.isLeader) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(b.isLeader).toBe(true);
}

describe("a new saga leader and the error-rate alert of the old one", () => {
  it("A raises it and stops; B keeps it open while 30% of calls fail, and resolves it once they stop failing", async () => {
    const h = await fresh();
    const a = h.runner({ holder: "a" });
    await run(h, a, 5, 3);
    expect(a.isLeader).toBe(true);
    expect((await rateEvents(h)).map((e) => describeEvent(e, h.clock.now))).toEqual(["raised service", "raised operation"]);
    await a.stop();

    const b = h.runner({ holder: "b" });
    await b.step(true);
    expect(b.isLeader).toBe(true);
    // Two windows' worth more of 30%: nothing to say.
    await run(h, b, 40, 3);
    expect((await rateEvents(h)).map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised"]);
    // No more errors: the rate falls to 10% within a window (once two thirds of it are clean), and both resolve, once.
    await errorsStopThenOneEpisode(h, b);
    await b.stop();
    await h.close();
  });

  it("A dies between storing the raise and moving its checkpoint; B does not resolve it on the spans before the raise", async () => {
    const h = await fresh();
    let dead = false;
    const a = h.runner({ holder: "a", leaseMs: 2000, lease: dying(new PostgresSubscriptionLease(db.sql, h.clock.read), () => dead) });
    // Five calls, too few to judge: the checkpoint moves past them.
    await second(h, 5, 0);
    await a.step(true);
    const checkpoint = await h.store.loadCheckpoint(MONITORING_SUBSCRIBER);
    // Ten more with three failures: the rate is judged (15 spans) and raised. A stores the
    // raises, then dies before the checkpoint moves.
    await second(h, 10, 3);
    dead = true;
    await expect(a.step(true)).rejects.toThrow("SIGKILL");
    expect((await rateEvents(h)).map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised"]);
    expect(await h.store.loadCheckpoint(MONITORING_SUBSCRIBER)).toEqual(checkpoint);

    const gauge = new Map<string, number>();
    const observer: MonitoringObserver = { alertRaised: () => {}, alertResolved: () => {}, setActiveSpans: () => {}, setOpenAlerts: (counts) => counts.forEach((n, k) => gauge.set(k, n)), setSubscriberLag: () => {} };
    const b = h.runner({ holder: "b", leaseMs: 2000, observer });
    await takeOver(b);
    // B replayed five spans, folded the stored raises, and read the fifteen that follow:
    // the first of them leaves too few spans to judge, but they are what raised it.
    expect((await rateEvents(h)).map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised"]);
    // Both open, though B's own raises were duplicates nobody counted.
    expect(gauge.get("error_rate")).toBe(2);
    await run(h, b, 30, 3);
    expect((await rateEvents(h)).map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised"]);
    await errorsStopThenOneEpisode(h, b);
    await b.stop();
    await h.close();
  });

  it("A dies between storing the resolution and moving its checkpoint; B does not open a second episode for the errors before it", async () => {
    const h = await fresh();
    let dead = false;
    const a = h.runner({ holder: "a", leaseMs: 2000, lease: dying(new PostgresSubscriptionLease(db.sql, h.clock.read), () => dead) });
    const t0 = h.clock.now;
    // 30% for 10 s: raised. Then one call in twenty fails (the last of every odd second).
    await run(h, a, 10, 3);
    for (let s = 10; s < 12; s++) {
      await second(h, 10, s % 2 === 1 ? 1 : 0);
      await a.step(true);
    }
    expect((await rateEvents(h)).map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised"]);
    // A falls behind: 14 s of that arrive before it reads again. The windowed rate is still
    // above 10% at the errors of seconds 13 to 23, and falls to 5% at second 25.
    for (let s = 12; s < 26; s++) await second(h, 10, s % 2 === 1 ? 1 : 0);
    dead = true;
    await expect(a.step(true)).rejects.toThrow("SIGKILL");
    expect((await rateEvents(h)).map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised", "AlertResolved", "AlertResolved"]);

    const b = h.runner({ holder: "b", leaseMs: 2000 });
    await takeOver(b);
    await b.step(true);
    await run(h, b, 5, 0);
    expect((await rateEvents(h)).map((e) => describeEvent(e, t0 + 25n * SECOND))).toEqual(ONE_EPISODE);
    await b.stop();
    await h.close();
  });

  it("A, which lost the lease to B, no longer shows the alerts it had open in its gauge: B shows them", async () => {
    const h = await fresh();
    // Each replica's own metrics, as /metrics shows them.
    const metrics = { a: new ServerMetrics({ processMetrics: false }), b: new ServerMetrics({ processMetrics: false }) };
    const openErrorRateAlerts = async (replica: ServerMetrics) =>
      matching(seriesOf(parsePrometheusText(await replica.render()).get("traceledger_alerts_open")!), { kind: "error_rate" })[0]?.value;
    const a = h.runner({ holder: "a", leaseMs: 600, observer: metrics.a });
    await run(h, a, 5, 3);
    expect(await openErrorRateAlerts(metrics.a)).toBe(2);
    // A's lease runs out (a stalled process, a lost connection) and B takes it; A learns so at its next step.
    await db.sql`update leases set expires_at = clock_timestamp() - interval '1 second' where name = ${MONITORING_SUBSCRIBER}`;
    const b = h.runner({ holder: "b", observer: metrics.b });
    await takeOver(b);
    // A renews (and so finds the lease gone) a third of its lease after its last renewal.
    await new Promise((resolve) => setTimeout(resolve, 250));
    await a.step(true);
    expect(a.isLeader).toBe(false);
    expect(await openErrorRateAlerts(metrics.a)).toBe(0);
    expect(await openErrorRateAlerts(metrics.b)).toBe(2);
    await a.stop();
    await b.stop();
    await h.close();
  });

  it("B, taking the lease, tells its watchers why the spans that stopped while it caught up stopped", async () => {
    const h = await fresh();
    const a = h.runner({ holder: "a", leaseMs: 2000 });
    const spans = ["cancelled", "ended"].map((name, i) => ({ name, traceId: traceIdOf(900 + i), spanId: spanIdOf(900 + i) }));
    for (const span of spans) expect((await h.bus.submit(startSpan(span.traceId, span.spanId, h.clock.now, { name: span.name }))).ok).toBe(true);
    await a.step(true);
    // B follows, and has both running; a watcher of its feed knows them.
    const feed = new ActiveSpanFeed();
    const b = h.runner({ holder: "b", leaseMs: 2000, feed });
    await b.step(true);
    expect(b.state.liveTraces.size).toBe(2);
    const watcher = feed.watch("");
    // As WatchActiveSpans does: the snapshot it sent is known (a stop is told only of a span told of).
    watcher.markKnown([...b.state.liveTraces].flatMap((trace) => [...trace.running.values()].map(viewOf)));
    // Both stop after A's checkpoint and before B reads again; then B takes the lease over: its
    // rebuild goes to A's checkpoint, where both still run, and its catch-up reads them stop.
    h.clock.advance(SECOND);
    expect((await h.bus.submit({ ...endSpan(spans[0]!.traceId, spans[0]!.spanId, h.clock.now), endReason: SpanEndReason.CANCELLED })).ok).toBe(true);
    expect((await h.bus.submit(endSpan(spans[1]!.traceId, spans[1]!.spanId, h.clock.now))).ok).toBe(true);
    await db.sql`update leases set expires_at = clock_timestamp() - interval '1 second' where name = ${MONITORING_SUBSCRIBER}`;
    // B's next step claims the lease (a third of it since its last try) before it reads on as a follower.
    await new Promise((resolve) => setTimeout(resolve, 700));
    await b.step();
    expect(b.isLeader).toBe(true);
    const stops = watcher.take(10).map((c) => (c.type === "stopped" ? `${spans.find((s) => s.spanId === c.spanId)?.name}: ${c.reason}` : c.type));
    expect(stops.sort()).toEqual(["cancelled: cancelled", "ended: ended"]);
    watcher.close();
    await a.stop();
    await b.stop();
    await h.close();
  });

  it("B runs with another threshold than A: the alert A stored and B's log never raises is still B's to resolve", async () => {
    const h = await fresh();
    // A alerts above 5%: one call in ten failing raises.
    const a = h.runner({ holder: "a", config: monitoringConfig({ ...CONFIG, errorRate: { ...CONFIG.errorRate, threshold: 0.05 } }) });
    await run(h, a, 3, 1);
    expect((await rateEvents(h)).map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised"]);
    await a.stop();
    // B alerts above 10%: its replay raises nothing, and the stored raises are held until it has
    // read the log to its end; then they are open, and 10% is at its resolve level.
    const b = h.runner({ holder: "b" });
    await b.step(true);
    expect(b.isLeader).toBe(true);
    await run(h, b, 1, 1);
    expect((await rateEvents(h)).map((e) => (e.type === "AlertResolved" ? `resolved ${e.reason}` : "raised"))).toEqual(["raised", "raised", "resolved below_threshold", "resolved below_threshold"]);
    expect(b.state.openAlerts.size).toBe(0);
    await b.stop();
    await h.close();
  });
});
