// A saga rebuild's open alerts are the stream's. Alert retention
// (apps/server/src/retention/alert-retention.ts) deletes a resolved alert, raise and
// resolution together, so a rebuild may hold open an alert the stream no longer resolves: it
// must let it go, not resolve it again (a second resolution stored, posted to the webhook,
// counted) nor keep it open for ever. A replay may also decide a raise the last leader died
// before storing: the new leader stores it. The case of a snapshot older than a deletion is
// in saga-snapshot.int.spec.ts too.

import { StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import type { MonitoringEvent } from "../domain/monitoring/index.js";
import { START_OF_LOG, type EventStore } from "../event-store/event-store.js";
import { AlertRetention } from "../retention/alert-retention.js";
import { TraceRetention } from "../retention/trace-retention.js";
import { ALERT_LISTING_SUBSCRIBER, AlertListingProjector } from "./alert-listing-projector.js";
import type { MonitoringObserver } from "./monitoring-observer.js";
import { MONITORING_STREAM_ID, toNewAlertEvent } from "./monitoring-stream.js";
import { PostgresSagaSnapshotStore } from "./postgres-saga-snapshot-store.js";
import { MONITORING_SUBSCRIBER, type SagaRunner } from "./saga-runner.js";
import { endSpan, sagaHarness, SECOND, spanIdOf, startSpan, traceIdOf, type Harness } from "./testing/saga-harness.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

async function fresh(config = {}): Promise<Harness> {
  await db.sql`truncate events, subscriber_checkpoints, leases, monitoring_alerts, span_index, trace_summaries, saga_snapshots`;
  return sagaHarness(db.sql, config);
}

async function takeLease(runner: SagaRunner): Promise<void> {
  for (let i = 0; i < 100 && !runner.isLeader; i++) {
    await runner.step(true);
    if (!runner.isLeader) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(runner.isLeader).toBe(true);
}

/** What a runner tells its metrics about alerts. */
function counting(): { resolved: string[]; open: Array<Record<string, number>>; observer: MonitoringObserver } {
  const resolved: string[] = [];
  const open: Array<Record<string, number>> = [];
  return {
    resolved,
    open,
    observer: {
      setActiveSpans() {},
      alertRaised() {},
      alertResolved: (kind) => resolved.push(kind),
      setOpenAlerts: (counts) => open.push(Object.fromEntries(counts)),
      setSubscriberLag() {},
    },
  };
}

function slowSpanRaised(at: bigint): MonitoringEvent {
  const subject = { type: "span" as const, traceId: traceIdOf(), spanId: spanIdOf(), service: "orders", operation: "GET /orders" };
  return { type: "AlertRaised", alertId: `slow_span:${subject.traceId}:${subject.spanId}`, kind: "slow_span", subject, at, value: 1, threshold: 1, unit: "ns", message: "slow" };
}

function resolutionOf(raised: MonitoringEvent, at: bigint): MonitoringEvent {
  return { type: "AlertResolved", alertId: raised.alertId, kind: raised.kind, subject: raised.subject, at, reason: "span_ended", value: 2, unit: "ns" } as MonitoringEvent;
}

/** A pass that deletes every alert resolved a second or more ago, once the listing and the saga have read it. */
const retentionOf = (h: Harness) =>
  new AlertRetention({ sql: db.sql, store: h.store, retentionNs: SECOND, logSubscribers: [MONITORING_SUBSCRIBER], streamReaders: [ALERT_LISTING_SUBSCRIBER], clock: h.clock.read });

describe("a saga rebuild holds open only the alerts whose raise the stream has", () => {
  it("lets go of an error-rate alert its replay raises again from traces still kept, which a tick had resolved: no second resolution", async () => {
    const h = await fresh({ errorRate: { threshold: 0.1, windowNs: 20n * SECOND, bucketNs: 5n * SECOND, minSamples: 10 } });
    const a = h.runner({ holder: "a" });
    await takeLease(a);
    const t0 = h.clock.now;
    const calls = Array.from({ length: 10 }, () => ({ traceId: traceIdOf(), spanId: spanIdOf() }));
    for (const c of calls) expect((await h.bus.submit(startSpan(c.traceId, c.spanId, t0))).ok).toBe(true);
    for (const [i, c] of calls.entries()) expect((await h.bus.submit(endSpan(c.traceId, c.spanId, t0 + 1_000_000n, i >= 7 ? StatusCode.ERROR : StatusCode.OK))).ok).toBe(true);
    await a.step(true);
    // The window empties: a tick resolves both episodes (service and operation); no trace event comes after it.
    h.clock.advance(30n * SECOND);
    await a.step(true);
    await a.step(true);
    const before = await h.alerts();
    expect(before.map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised", "AlertResolved", "AlertResolved"]);
    const deleted = before[2]!.alertId;
    await new AlertListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read }).catchUp();
    h.clock.advance(2n * SECOND);
    // The operation's pair holds the stream's last event: only the service's goes.
    expect(await retentionOf(h).pass()).toMatchObject({ alerts: 1, events: 2 });
    await a.stop();

    // A new leader without a snapshot: its replay of the kept traces raises both again, and no tick resolves them.
    const c = counting();
    const b = h.runner({ holder: "b", observer: c.observer });
    await takeLease(b);
    h.clock.advance(30n * SECOND);
    await b.step(true);
    expect((await h.alerts()).filter((e) => e.alertId === deleted)).toEqual([]);
    // The operation's alert, kept, is open in the replay until its stored resolution is folded.
    expect(b.state.openAlerts.size).toBe(0);
    expect(c.open.at(-1)).toEqual({});
    expect(c.resolved).toEqual([]);
    await b.stop();
    await h.close();
  });

  it("lets go of alerts whose resolution a pass deleted between two pages of its read of the stream", async () => {
    const h = await fresh();
    const t0 = h.clock.now;
    // v1 X raised; v2-v999 resolved pairs; v1000 G raised; v1001 X resolved; v1002 G resolved; v1003 Y raised (open, the head).
    const [x, g, y] = [slowSpanRaised(t0), slowSpanRaised(t0), slowSpanRaised(t0)];
    const events: MonitoringEvent[] = [x!];
    for (let i = 0; i < 499; i++) {
      const other = slowSpanRaised(t0);
      events.push(other, resolutionOf(other, t0));
    }
    events.push(g!, resolutionOf(x!, t0), resolutionOf(g!, t0), y!);
    // Y's span is in the log: an open alert whose trace the log does not have is resolved as deleted.
    const ySpan = y!.subject as { traceId: string; spanId: string };
    expect((await h.bus.submit(startSpan(ySpan.traceId, ySpan.spanId, t0))).ok).toBe(true);
    await h.store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: events.map(toNewAlertEvent) });
    expect(await h.store.streamVersion(MONITORING_STREAM_ID)).toBe(1003);
    await new AlertListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read }).catchUp();
    const end = (await h.store.readAll(START_OF_LOG, 10_000)).checkpoint;
    expect(await h.store.saveCheckpoint(MONITORING_SUBSCRIBER, START_OF_LOG, end)).toBe(true);
    h.clock.advance(2n * SECOND);

    // The new leader reads the stream in pages of 1,000; another replica's pass runs before its second.
    const retention = retentionOf(h);
    let raced = false;
    const racing = new Proxy(h.store, {
      get(target, property) {
        if (property === "readStream") {
          return async (streamId: string, options?: { afterVersion?: number; limit?: number }) => {
            if (!raced && streamId === MONITORING_STREAM_ID && (options?.afterVersion ?? 0) > 0) {
              raced = true;
              expect(await retention.pass()).toMatchObject({ alerts: 501 });
            }
            return target.readStream(streamId, options);
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as EventStore;
    const c = counting();
    const b = h.runner({ holder: "b", store: racing, observer: c.observer });
    await takeLease(b);
    expect(raced).toBe(true);
    expect([...b.state.openAlerts.keys()]).toEqual([y!.alertId]);
    expect(c.open[0]).toEqual({ slow_span: 1 });
    await b.stop();
    await h.close();
  });

  it("lets go of the alerts of a trace deleted since its snapshot and forgets the trace, both before any tick: a slow span whose end is gone is not raised again", async () => {
    const h = await fresh({ slowSpan: { defaultNs: 2n * SECOND } });
    const snapshots = new PostgresSagaSnapshotStore(db.sql);
    // A raises the slow-span alert of S and snapshots while S runs.
    const a = h.runner({ holder: "a", snapshots, snapshotEveryEvents: 1, snapshotMinIntervalMs: 0 });
    await takeLease(a);
    const [trace, span] = [traceIdOf(), spanIdOf()];
    expect((await h.bus.submit(startSpan(trace, span, h.clock.now))).ok).toBe(true);
    await a.step(true);
    h.clock.advance(3n * SECOND);
    await a.step(true);
    await a.step(true);
    const slowId = `slow_span:${trace}:${span}`;
    expect((await h.alerts()).map((e) => `${e.type} ${e.alertId}`)).toEqual([`AlertRaised ${slowId}`]);
    expect((await snapshots.load(MONITORING_SUBSCRIBER))?.events).toBeGreaterThan(0);
    await a.stop();
    // Another leader, without snapshots, sees S end and resolves the alert; another alert comes after it.
    const a2 = h.runner({ holder: "a2" });
    await takeLease(a2);
    expect((await h.bus.submit(endSpan(trace, span, h.clock.now))).ok).toBe(true);
    await a2.step(true);
    await h.store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: [toNewAlertEvent(slowSpanRaised(h.clock.now))] });
    await a2.step(true);
    await a2.stop();
    expect((await h.alerts()).map((e) => e.type)).toEqual(["AlertRaised", "AlertResolved", "AlertRaised"]);

    // The trace and the alert both expire.
    await new AlertListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read }).catchUp();
    h.clock.advance(2n * SECOND);
    expect(await new TraceRetention({ sql: db.sql, retentionNs: SECOND, subscribers: [MONITORING_SUBSCRIBER], clock: h.clock.read }).pass()).toMatchObject({ traces: 1 });
    expect(await retentionOf(h).pass()).toMatchObject({ alerts: 1 });
    // Traffic while nobody leads: the next leader's catch-up ticks on it.
    const [other, otherSpan] = [traceIdOf(), spanIdOf()];
    expect((await h.bus.submit(startSpan(other, otherSpan, h.clock.now))).ok).toBe(true);
    h.clock.advance(SECOND);
    expect((await h.bus.submit(endSpan(other, otherSpan, h.clock.now))).ok).toBe(true);

    // C goes on from A's snapshot: S runs there, its alert open, its trace gone from the log.
    const c = h.runner({ holder: "c", snapshots, snapshotEveryEvents: 0 });
    await takeLease(c);
    await c.step(true);
    expect((await h.alerts()).filter((e) => e.alertId === slowId)).toEqual([]);
    expect(c.state.traces.has(trace)).toBe(false);
    expect(c.state.openAlerts.has(slowId)).toBe(false);
    await c.stop();
    await h.close();
  });

  it("stores a raise its replay decided that the last leader died before storing (no retention involved)", async () => {
    const h = await fresh({ slowSpan: { defaultNs: 5n * SECOND } });
    // A dies storing alerts once `dead`: after it committed its checkpoint, before its tick's raise is stored.
    let dead = false;
    const dying = new Proxy(h.store, {
      get(target, property) {
        if (property === "append") {
          return (request: Parameters<EventStore["append"]>[0]) =>
            dead && request.streamId === MONITORING_STREAM_ID ? Promise.reject(new Error("SIGKILL")) : target.append(request);
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as EventStore;
    const t0 = h.clock.now;
    const a = h.runner({ holder: "a", store: dying, leaseMs: 1000 });
    await takeLease(a);
    const [trace, span] = [traceIdOf(), spanIdOf()];
    expect((await h.bus.submit(startSpan(trace, span, t0))).ok).toBe(true);
    await a.step(true);
    // A ticks at 4.8 s (next tick due at 5.8 s), then reads two events (5.2 s, 5.7 s) and commits past them.
    h.clock.now = t0 + 4_800_000_000n;
    await a.step(true);
    const [other, otherSpan] = [traceIdOf(), spanIdOf()];
    h.clock.now = t0 + 5_200_000_000n;
    expect((await h.bus.submit(startSpan(other, otherSpan, h.clock.now))).ok).toBe(true);
    h.clock.now = t0 + 5_700_000_000n;
    expect((await h.bus.submit(endSpan(other, otherSpan, h.clock.now))).ok).toBe(true);
    await a.step();
    // Its tick at 5.85 s finds the span slow; the raise is never stored.
    h.clock.now = t0 + 5_850_000_000n;
    dead = true;
    await expect(a.step()).rejects.toThrow("SIGKILL");
    expect(await h.alerts()).toEqual([]);

    // B's replay ticks at 5.2 s, inside the checkpoint, and decides the raise itself. (A 1 s
    // lease, as A's: B tries to take it three times a second.)
    const b = h.runner({ holder: "b", leaseMs: 1000 });
    await takeLease(b);
    await b.step(true);
    expect((await h.bus.submit(endSpan(trace, span, h.clock.now))).ok).toBe(true);
    await b.step(true);
    const slowId = `slow_span:${trace}:${span}`;
    expect((await h.alerts()).map((e) => `${e.type} ${e.alertId}`)).toEqual([`AlertRaised ${slowId}`, `AlertResolved ${slowId}`]);
    await b.stop();
    await h.close();
  });
});
