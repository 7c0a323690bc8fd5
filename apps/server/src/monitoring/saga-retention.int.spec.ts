// The saga against retention (apps/server/src/retention): a fold that reads the log
// from its start (a new leader's rebuild, a replica's first catch-up) reads below
// every checkpoint, where retention deletes. A trace deleted between two of its
// pages left only its first events folded: a span running for ever that no close
// could end (TRACE_NOT_FOUND). Once caught up, the fold forgets such traces. A
// follower that falls behind every checkpoint later reads there too: it asks the log
// about the traces it would close, and forgets those that are gone.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { START_OF_LOG, type EventStore, type GlobalCheckpoint } from "../event-store/event-store.js";
import { TRACE_LISTING_SUBSCRIBER, TraceListingProjector } from "../projections/postgres/trace-listing-projector.js";
import { TraceRetention, type RetentionPass } from "../retention/trace-retention.js";
import { createLogger } from "../log/logger.js";
import { ServerMetrics } from "../metrics/server-metrics.js";
import { MONITORING_SUBSCRIBER, type SagaRunner } from "./saga-runner.js";
import { endSpan, sagaHarness, SECOND, spanIdOf, startSpan, traceIdOf } from "./testing/saga-harness.js";

const DAY = 86_400n * SECOND;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

type Harness = ReturnType<typeof sagaHarness>;

/**
 * A trace whose span starts and ends pages apart in the log (four short traces between),
 * all recorded 8 days before a fresh trace; a first leader has read it all and stored its
 * checkpoint, the listing too. Returns the soon-expired trace and its root span.
 */
async function logWithAnExpiringTrace(h: Harness, reader?: SagaRunner): Promise<{ expired: string; root: string }> {
  const base = h.clock.now;
  const expired = traceIdOf();
  const root = spanIdOf();
  expect((await h.bus.submit(startSpan(expired, root, base))).ok).toBe(true);
  for (let i = 0; i < 4; i++) {
    const [traceId, spanId] = [traceIdOf(), spanIdOf()];
    await h.bus.submit(startSpan(traceId, spanId, base));
    await h.bus.submit(endSpan(traceId, spanId, base + 1000n));
  }
  expect((await h.bus.submit(endSpan(expired, root, base + 2_000_000n))).ok).toBe(true);
  h.clock.now = base + 8n * DAY;
  const [fresh, freshSpan] = [traceIdOf(), spanIdOf()];
  await h.bus.submit(startSpan(fresh, freshSpan, h.clock.now));
  await h.bus.submit(endSpan(fresh, freshSpan, h.clock.now + 1000n));
  const first = reader ?? h.runner({ holder: "first" });
  await first.step(true);
  expect(first.isLeader).toBe(true);
  await new TraceListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read }).catchUp();
  if (!reader) await first.stop();
  return { expired, root };
}

/**
 * The harness's store, with `meanwhile` run once before a read of the log: by default the
 * first past its start.
 */
function racingStore(h: Harness, meanwhile: () => Promise<void>, now = (from: GlobalCheckpoint) => from.position !== START_OF_LOG.position): EventStore {
  let ran = false;
  return new Proxy(h.store, {
    get(target, property, receiver) {
      if (property === "readAll") {
        return async (from: GlobalCheckpoint, limit: number) => {
          if (!ran && now(from)) {
            ran = true;
            await meanwhile();
          }
          return target.readAll(from, limit);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as EventStore;
}

/** A logger that keeps its lines. */
function loggedLines(): { lines: Array<Record<string, unknown>>; log: ReturnType<typeof createLogger> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, log: createLogger("debug", {}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>)) };
}

/**
 * A leader that has read a span running for `runningNs` (slow after 5 s, its trace after 10 s),
 * `days` after the harness's start (after every event the other cases stored: the saga's time
 * never goes back); then the trace is deleted under it.
 */
async function leaderOfATraceDeletedUnderIt(days: bigint, runningNs: bigint): Promise<{ h: Harness; leader: SagaRunner; gone: string; span: string }> {
  const h = sagaHarness(db.sql, { orphanTimeoutNs: 60n * SECOND });
  h.clock.now += days * DAY;
  const [gone, span] = [traceIdOf(), spanIdOf()];
  expect((await h.bus.submit(startSpan(gone, span, h.clock.now))).ok).toBe(true);
  const leader = h.runner({ holder: "leader" });
  await leader.step(true);
  h.clock.advance(runningNs);
  await leader.step(true);
  expect(leader.state.traces.get(gone)?.running.has(span)).toBe(true);
  // Deleted under the saga (a start time far ahead of the clock would make its orphan close come late).
  await db.sql`delete from events where trace_id = ${Buffer.from(gone, "hex")}`;
  return { h, leader, gone, span };
}

/** The monitoring stream's events about one trace. */
const alertsAbout = async (h: Harness, traceId: string) => (await h.alerts()).filter((e) => "traceId" in e.subject && e.subject.traceId === traceId);

const retentionOf = (h: Harness) =>
  new TraceRetention({ sql: db.sql, retentionNs: 7n * DAY, subscribers: [TRACE_LISTING_SUBSCRIBER, MONITORING_SUBSCRIBER], clock: h.clock.read });

describe("a saga fold read from the start of the log while retention deletes", () => {
  it("forgets a trace whose last events were deleted between two of its pages: no running span is left that the log does not have", async () => {
    const h = sagaHarness(db.sql);
    const { expired } = await logWithAnExpiringTrace(h);
    // The next leader rebuilds in pages of 3 events; another replica's retention pass runs after its first page.
    const retention = retentionOf(h);
    let pass: RetentionPass | undefined;
    const racing = racingStore(h, async () => {
      pass = await retention.pass();
    });
    const next = h.runner({ holder: "next", store: racing, batchSize: 3 });
    await next.step(true);
    expect(next.isLeader).toBe(true);
    expect(pass).toMatchObject({ traces: 5 });
    expect(await h.store.streamVersion(expired)).toBe(0);
    expect(next.state.traces.has(expired)).toBe(false);
    expect([...next.state.liveTraces].flatMap((trace) => [...trace.running.keys()])).toEqual([]);
    // What the rebuild raised on the half-read trace (and never stored) went with it.
    expect([...next.state.openAlerts.values()].filter((alert) => "traceId" in alert.subject && alert.subject.traceId === expired)).toEqual([]);

    // Past the orphan timeout: nothing to close, as for a replica that reads the log as it is now.
    h.clock.advance(400n * SECOND);
    await next.step(true);
    expect([...next.state.liveTraces]).toEqual([]);
    const fresher = h.runner({ holder: "fresher" });
    await fresher.step(true);
    expect(fresher.state.liveTraces.size).toBe(0);
    await next.stop();
    await fresher.stop();
    await h.close();
  });

  it("starts a trace over when its id begins again in the log, deleted and used again before the fold caught up", async () => {
    const h = sagaHarness(db.sql);
    const { expired: reused } = await logWithAnExpiringTrace(h);
    const retention = retentionOf(h);
    const again = spanIdOf();
    let passed = false;
    const racing = racingStore(h, async () => {
      passed = true;
      await retention.pass();
      // The id is used again at once: the log has it again before the fold has caught up.
      expect((await h.bus.submit(startSpan(reused, again, h.clock.now))).ok).toBe(true);
    });
    const next = h.runner({ holder: "next", store: racing, batchSize: 3 });
    await next.step(true);
    expect(passed).toBe(true);
    expect([...(next.state.traces.get(reused)?.running.keys() ?? [])]).toEqual([again]);
    await next.stop();
    await h.close();
  });

  it("forgets a trace whose close is refused because the trace is gone", async () => {
    const { h, leader, gone } = await leaderOfATraceDeletedUnderIt(30n, 10n * SECOND);
    h.clock.advance(120n * SECOND);
    await leader.step(true);
    await leader.step(true);
    expect(leader.state.traces.has(gone)).toBe(false);
    // Its span was slow (and so was the trace): those alerts cannot end with them any more, and are resolved as deleted.
    const about = await alertsAbout(h, gone);
    const raised = about.filter((e) => e.type === "AlertRaised");
    expect(raised.map((e) => e.kind).sort()).toEqual(["slow_span", "slow_trace"]);
    expect(about.filter((e) => e.type === "AlertResolved")).toEqual(
      raised.map((e) => expect.objectContaining({ alertId: e.alertId, reason: "trace_deleted", value: 0, unit: "ns" })),
    );
    expect([...leader.state.openAlerts.values()].filter((e) => "traceId" in e.subject && e.subject.traceId === gone)).toEqual([]);
    await leader.stop();
    await h.close();
  });
});

describe("a new leader whose alerts' trace the log no longer has", () => {
  it("resolves them as deleted when it rebuilds: the last leader stored their raises, then the trace went before it resolved them", async () => {
    const { h, leader: a, gone } = await leaderOfATraceDeletedUnderIt(90n, 6n * SECOND);
    const raised = (await alertsAbout(h, gone)).filter((e) => e.type === "AlertRaised");
    expect(raised.map((e) => e.kind)).toEqual(["slow_span"]);
    // The leader goes before any close of its own is refused.
    await a.stop();

    const { lines, log } = loggedLines();
    const b = h.runner({ holder: "b", log });
    await b.step(true);
    expect(b.isLeader).toBe(true);
    // Its replay never saw the trace: the raise came back from the stream alone.
    expect(b.state.traces.has(gone)).toBe(false);
    expect(b.state.openAlerts.has(raised[0]!.alertId)).toBe(false);
    const resolved = (await h.alerts()).filter((e) => e.type === "AlertResolved" && e.alertId === raised[0]!.alertId);
    expect(resolved).toEqual([expect.objectContaining({ reason: "trace_deleted", kind: "slow_span", value: 0 })]);
    expect(lines.find((l) => l.msg === "monitoring: forgot traces deleted from the log while it was read from its start")).toMatchObject({ traces: 1, alerts_resolved: 1 });
    // A replica that later rebuilds finds it resolved: nothing more is stored.
    await b.stop();
    const c = h.runner({ holder: "c" });
    await c.step(true);
    expect(c.isLeader).toBe(true);
    expect(c.state.openAlerts.has(raised[0]!.alertId)).toBe(false);
    expect((await h.alerts()).filter((e) => e.alertId === raised[0]!.alertId)).toHaveLength(2);
    await c.stop();
    await h.close();
  });
});

describe("a follower that falls behind every checkpoint while retention deletes", () => {
  it("forgets a trace deleted between two of its reads once it would close it: no span runs for ever on that replica", async () => {
    const h = sagaHarness(db.sql);
    // After every event the other cases stored: a span the saga learns of late is not an orphan at once.
    h.clock.now += 60n * DAY;
    const leader = h.runner({ holder: "leader" });
    await leader.step(true);
    expect(leader.isLeader).toBe(true);
    // The follower reads in pages of 3; retention runs (on any replica) between its first and second page of one step.
    let armed = false;
    let reads = 0;
    let pass: RetentionPass | undefined;
    const retention = retentionOf(h);
    const behind = racingStore(h, async () => void (pass = await retention.pass()), () => armed && ++reads === 2);
    const { lines, log } = loggedLines();
    const follower = h.runner({ holder: "follower", store: behind, batchSize: 3, log });
    await follower.step(true);
    expect(follower.isLeader).toBe(false);
    // A trace whose end comes pages after its start, 8 days ago; the leader and the listing read it all.
    const { expired } = await logWithAnExpiringTrace(h, leader);

    // The follower had not read any of it: it reads the start, then the rest is gone. Its clock is
    // 8 days past the start by the fresh trace, so the span looks orphaned at once.
    armed = true;
    await follower.step(true);
    expect(pass!.traces).toBeGreaterThanOrEqual(4);
    expect(await h.store.streamVersion(expired)).toBe(0);
    expect(follower.state.traces.has(expired)).toBe(false);
    expect([...follower.state.liveTraces].flatMap((trace) => [...trace.running.keys()])).toEqual([]);
    expect(lines.filter((l) => l.msg === "monitoring: forgot traces deleted from the log while this replica was behind")).toEqual([expect.objectContaining({ traces: expect.any(Number) })]);
    await follower.stop();
    await leader.stop();
    await h.close();
  });
});

describe("the open-alert gauge once a refused close made the leader forget a trace", () => {
  it("shows the alerts the state holds open: the deleted trace's resolutions are counted once, and take nothing more off it", async () => {
    const h = sagaHarness(db.sql, { orphanTimeoutNs: 60n * SECOND });
    // After every event the other cases stored (the saga's time never goes back).
    h.clock.now += 120n * DAY;
    const metrics = new ServerMetrics({ processMetrics: false });
    const leader = h.runner({ holder: "leader", observer: metrics });
    const kinds = ["slow_span", "slow_trace"];
    const sample = async (name: string) => {
      const text = await metrics.render();
      return kinds.map((kind) => Number(new RegExp(`^${name}\\{kind="${kind}"\\} (\\S+)$`, "m").exec(text)?.[1] ?? 0));
    };
    const openInState = () => kinds.map((kind) => [...leader.state.openAlerts.values()].filter((e) => e.kind === kind).length);
    const [gone, a] = [traceIdOf(), spanIdOf()];
    const [kept, b] = [traceIdOf(), spanIdOf()];
    expect((await h.bus.submit(startSpan(gone, a, h.clock.now))).ok).toBe(true);
    await leader.step(true);
    h.clock.advance(50n * SECOND);
    await leader.step(true);
    expect((await h.bus.submit(startSpan(kept, b, h.clock.now))).ok).toBe(true);
    await leader.step(true);
    h.clock.advance(7n * SECOND);
    await leader.step(true);
    expect(await sample("traceledger_alerts_open")).toEqual(openInState());
    const [raisedBefore, resolvedBefore] = [await sample("traceledger_alerts_raised_total"), await sample("traceledger_alerts_resolved_total")];
    await db.sql`delete from events where trace_id = ${Buffer.from(gone, "hex")}`;
    // The gone span's orphan close is refused (TRACE_NOT_FOUND): its alerts are resolved as deleted, and
    // the kept trace turns slow meanwhile.
    h.clock.advance(5n * SECOND);
    for (let i = 0; i < 3; i++) await leader.step(true);
    expect(leader.state.traces.has(gone)).toBe(false);
    const keptOpen = [...leader.state.openAlerts.values()].filter((e) => "traceId" in e.subject && e.subject.traceId === kept);
    expect(keptOpen.map((e) => e.kind).sort()).toEqual(kinds);
    expect((await alertsAbout(h, gone)).filter((e) => e.type === "AlertResolved").map((e) => "reason" in e && e.reason)).toEqual(["trace_deleted", "trace_deleted"]);
    expect(await sample("traceledger_alerts_open")).toEqual(openInState());
    // Each stored event counted once: the two deleted-trace resolutions, the kept trace's slow-trace raise.
    const delta = (after: number[], before: number[]) => after.map((n, i) => n - before[i]!);
    expect(delta(await sample("traceledger_alerts_resolved_total"), resolvedBefore)).toEqual([1, 1]);
    expect(delta(await sample("traceledger_alerts_raised_total"), raisedBefore)).toEqual([0, 1]);
    await leader.stop();
    await h.close();
  });
});
