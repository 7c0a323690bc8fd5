// REVIEW SCRATCH (to be deleted): alert retention against the saga's rebuild.

import { randomUUID } from "node:crypto";
import { StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MonitoringEvent } from "../domain/monitoring/index.js";
import { START_OF_LOG, type EventStore } from "../event-store/event-store.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { AlertRetention } from "../retention/alert-retention.js";
import { ALERT_LISTING_SUBSCRIBER, AlertListingProjector } from "./alert-listing-projector.js";
import { MONITORING_STREAM_ID, toNewAlertEvent } from "./monitoring-stream.js";
import { MONITORING_SUBSCRIBER, type SagaRunner } from "./saga-runner.js";
import type { MonitoringObserver } from "./monitoring-observer.js";
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

function slowSpanRaised(n: string, at: bigint): MonitoringEvent {
  const subject = { type: "span" as const, traceId: traceIdOf(), spanId: spanIdOf(), service: `svc-${n}`, operation: "op" };
  return { type: "AlertRaised", alertId: `slow_span:${subject.traceId}:${subject.spanId}`, kind: "slow_span", subject, at, value: 1, threshold: 1, unit: "ns", message: n };
}
function resolutionOf(raised: MonitoringEvent, at: bigint): MonitoringEvent {
  return { type: "AlertResolved", alertId: raised.alertId, kind: raised.kind, subject: raised.subject, at, reason: "span_ended", value: 2, unit: "ns" } as MonitoringEvent;
}

describe("review: alert retention vs the saga's rebuild", () => {
  it("A: a rebuild that re-decides a deleted statistic alert's raise (traces kept, log quiet since) holds it open and stores an orphan resolution", async () => {
    const h = await fresh({ errorRate: { threshold: 0.1, windowNs: 20n * SECOND, bucketNs: 5n * SECOND, minSamples: 10 } });
    const a = h.runner({ holder: "a" });
    await takeLease(a);
    const t0 = h.clock.now;
    const calls = Array.from({ length: 10 }, () => ({ traceId: traceIdOf(), spanId: spanIdOf() }));
    for (const c of calls) for (const r of await h.bus.submitAll([startSpan(c.traceId, c.spanId, t0)])) expect(r.ok).toBe(true);
    for (const [i, c] of calls.entries()) {
      for (const r of await h.bus.submitAll([endSpan(c.traceId, c.spanId, t0 + 1_000_000n, i >= 7 ? StatusCode.ERROR : StatusCode.OK)])) expect(r.ok).toBe(true);
    }
    await a.step(true);
    const raisedIds = (await h.alerts()).filter((e) => e.type === "AlertRaised").map((e) => e.alertId);
    expect(raisedIds).toHaveLength(2);
    // The window empties: a tick resolves both episodes (no trace event after it).
    h.clock.advance(30n * SECOND);
    await a.step(true);
    await a.step(true);
    const before = await h.alerts();
    expect(before.map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised", "AlertResolved", "AlertResolved"]);
    const deletedId = before[2]!.alertId;

    await new AlertListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read }).catchUp();
    h.clock.advance(2n * SECOND);
    const retention = new AlertRetention({ sql: db.sql, retentionNs: SECOND, logSubscribers: [MONITORING_SUBSCRIBER], streamReaders: [ALERT_LISTING_SUBSCRIBER], clock: h.clock.read });
    expect(await retention.pass()).toMatchObject({ alerts: 1, events: 2 });
    expect((await h.alerts()).some((e) => e.alertId === deletedId)).toBe(false);
    await a.stop();

    // A new leader (no snapshots: a rebuild from the log's start, as after a config change).
    const c = counting();
    const b = h.runner({ holder: "b", observer: c.observer });
    await takeLease(b);
    const after = await h.alerts();
    console.log("stream after b took the lease:", after.map((e) => `${e.type} ${e.alertId}`));
    console.log("open-alert gauge b reported on taking the lease:", c.open[0], "resolutions b counted:", c.resolved);
    // Expected: the deleted alert stays gone, nothing is stored or counted for it.
    expect(after.filter((e) => e.alertId === deletedId)).toEqual([]);
    await b.stop();
    await h.close();
  });

  it("B: a rebuild from the log's start that reads the stream while a retention pass runs keeps deleted alerts open for ever", async () => {
    const h = await fresh();
    const t0 = h.clock.now;
    // v1 X raised; v2..v999 resolved pairs; v1000 G raised; v1001 X resolved; v1002 G resolved; v1003 Y raised (open, the head).
    const x = slowSpanRaised("x", t0);
    const g = slowSpanRaised("g", t0);
    const y = slowSpanRaised("y", t0);
    const events: MonitoringEvent[] = [x];
    for (let i = 0; i < 499; i++) {
      const f = slowSpanRaised(`f${i}`, t0);
      events.push(f, resolutionOf(f, t0));
    }
    events.push(g, resolutionOf(x, t0), resolutionOf(g, t0), y);
    await h.store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: events.map(toNewAlertEvent) });
    expect(await h.store.streamVersion(MONITORING_STREAM_ID)).toBe(1003);
    await new AlertListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read }).catchUp();
    const end = (await h.store.readAll(START_OF_LOG, 10_000)).checkpoint;
    expect(await h.store.saveCheckpoint(MONITORING_SUBSCRIBER, START_OF_LOG, end)).toBe(true);
    h.clock.advance(2n * SECOND);
    const retention = new AlertRetention({ sql: db.sql, retentionNs: SECOND, logSubscribers: [MONITORING_SUBSCRIBER], streamReaders: [ALERT_LISTING_SUBSCRIBER], clock: h.clock.read });

    // The store as the new leader sees it: the retention pass of another replica runs between its first and second page of the stream.
    let raced = false;
    const store = new Proxy(h.store, {
      get(target, prop) {
        if (prop === "readStream") {
          return async (streamId: string, options?: { afterVersion?: number; limit?: number }) => {
            if (!raced && streamId === MONITORING_STREAM_ID && (options?.afterVersion ?? 0) > 0) {
              raced = true;
              console.log("retention pass between the pages:", await retention.pass());
            }
            return target.readStream(streamId, options);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as unknown as EventStore;
    const c = counting();
    const b = h.runner({ holder: "b-" + randomUUID(), store, observer: c.observer });
    await takeLease(b);
    expect(raced).toBe(true);
    const stream = await h.store.readStream(MONITORING_STREAM_ID);
    console.log("stream now:", stream.map((e) => `${e.version}:${e.type}`));
    console.log("open-alert gauge reported:", c.open);
    const names = (ids: Iterable<string>) => [...ids].map((id) => (id === x.alertId ? "x" : id === g.alertId ? "g" : id === y.alertId ? "y" : id)).sort();
    // Only Y has events left; X and G are gone from the stream and from ListAlerts.
    expect(names(b.state.openAlerts.keys())).toEqual(["y"]);
    await b.stop();
    await h.close();
  });
});
