// WatchAlerts on a replica whose saga does not store the alerts (a follower; the
// leader is another replica): it learns of them by polling. Idle watchers must
// not cost the store a read each per poll (before: one readStream per watcher
// per second, its own poll), must still see another replica's alert within a poll, and must
// see an alert stored by this replica's own saga at once.

import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { WatchAlertsRequestSchema, type MonitoringService, type WatchAlertsResponse } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import type { AlertRaised } from "../domain/monitoring/index.js";
import type { EventStore } from "../event-store/event-store.js";
import { InMemoryEventStore } from "../event-store/in-memory/in-memory-event-store.js";
import { ActiveSpanFeed } from "../monitoring/active-span-feed.js";
import { MONITORING_STREAM_ID, toNewAlertEvent } from "../monitoring/monitoring-stream.js";
import type { SagaRunner } from "../monitoring/saga-runner.js";
import { createMonitoringService } from "./monitoring-service.js";
import { countingReplica, readInBackground, sleep, stopAfterTest, until } from "./testing/idle-watchers.js";

const POLL_MS = 200;
const WATCHERS = 20;
const clock = () => BigInt(Date.now()) * 1_000_000n;

type Monitoring = ServiceImpl<typeof MonitoringService>;

let alertCount = 0;
function alert(): AlertRaised {
  const n = ++alertCount;
  const spanId = n.toString(16).padStart(16, "0");
  return {
    type: "AlertRaised",
    kind: "slow_span",
    alertId: `slow_span:${"ab".repeat(16)}:${spanId}`,
    at: clock(),
    value: 2e9,
    threshold: 1e9,
    unit: "ns",
    message: `span ${n} is slow`,
    subject: { type: "span", traceId: "ab".repeat(16), spanId, service: "checkout", operation: "pay" },
  };
}

/** Stores an alert as a leader's saga does (on whichever replica `store` is). */
async function storeAlert(store: EventStore): Promise<void> {
  await store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: [toNewAlertEvent(alert())] });
}

/** A watcher reading in the background: what it received so far. */
function watch(service: Monitoring, signal: AbortSignal): WatchAlertsResponse[] {
  return readInBackground(service.watchAlerts!(create(WatchAlertsRequestSchema, { afterVersion: 0n }), { signal } as HandlerContext) as AsyncIterable<WatchAlertsResponse>);
}

describe("WatchAlerts on a replica whose saga does not store the alerts", () => {
  it("idle watchers cost the store one question per poll in all, not a read each, and see another replica's alert within a poll and a local one at once", async () => {
    const shared = new InMemoryEventStore({ clock });
    const stop = stopAfterTest();

    const counted = countingReplica(shared, POLL_MS);
    const changes = counted.changes;
    const b = createMonitoringService({
      runner: { ready: Promise.resolve() } as unknown as SagaRunner,
      feed: new ActiveSpanFeed(),
      store: counted.store,
      alerts: () => Promise.reject(new Error("unused")),
      changes,
      clock,
      shutdown: stop.signal,
    });

    await storeAlert(shared);
    const watched = Array.from({ length: WATCHERS }, () => watch(b, stop.signal));
    await until(5_000, "every watcher's replay", () => watched.every((w) => w.length === 1));

    // Idle: several polls go by.
    const readsBefore = counted.reads();
    const questionsBefore = counted.questions();
    await sleep(POLL_MS * 6 + POLL_MS / 2);
    expect(counted.reads() - readsBefore, "reads by idle watchers").toBe(0);
    expect(counted.questions() - questionsBefore).toBeGreaterThanOrEqual(3);
    expect(counted.questions() - questionsBefore).toBeLessThanOrEqual(7);

    // Another replica's saga stores an alert: every watcher here sees it within a poll (and a loaded machine's slack).
    const written = performance.now();
    await storeAlert(shared);
    await until(POLL_MS + 1_000, "the other replica's alert on every watcher", () => watched.every((w) => w.length === 2));
    expect(performance.now() - written).toBeLessThan(POLL_MS + 1_000);
    expect(watched.map((w) => w[1]!.event!.streamVersion)).toEqual(watched.map(() => 2n));

    // This replica's saga stores one and says so: seen at once, without waiting for the poll.
    await sleep(POLL_MS / 4);
    const local = performance.now();
    await storeAlert(shared);
    changes.notify(MONITORING_STREAM_ID);
    await until(POLL_MS + 1_000, "the local alert on every watcher", () => watched.every((w) => w.length === 3));
    expect(performance.now() - local).toBeLessThan(POLL_MS * 0.75);
  }, 20_000);
});
