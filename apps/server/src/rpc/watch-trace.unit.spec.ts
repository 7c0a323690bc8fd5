// WatchTrace on a replica that does not write the trace: it learns of the
// other replica's writes by polling. Idle watchers must not cost the store a
// read each per poll (before: one readStream per watcher per second), and must
// still see another replica's write within a poll.

import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { StartSpanRequestSchema, StartTraceRequestSchema, WatchTraceRequestSchema, type TracingService, type WatchTraceResponse } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { TraceCommandBus } from "../commands/trace-command-bus.js";
import { DEFAULT_SPAN_LIMITS } from "../domain/trace/span-limits.js";
import type { EventStore } from "../event-store/event-store.js";
import { InMemoryEventStore } from "../event-store/in-memory/in-memory-event-store.js";
import { TraceChangeFeed } from "../live/trace-change-feed.js";
import { countingReplica, readInBackground, sleep, stopAfterTest, until } from "./testing/idle-watchers.js";
import { createTracingService } from "./tracing-service.js";

const POLL_MS = 200;
const WATCHERS = 20;
const clock = () => BigInt(Date.now()) * 1_000_000n;

type Tracing = ServiceImpl<typeof TracingService>;

function replica(store: EventStore, changes: TraceChangeFeed, shutdown: AbortSignal): Tracing {
  let n = 0;
  const bus = new TraceCommandBus({
    store,
    clock,
    newId: () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, "0")}`,
    limits: DEFAULT_SPAN_LIMITS,
    onAppended: (traceId) => changes.notify(traceId),
  });
  return createTracingService({ bus, store, changes, listing: { listTraces: () => Promise.reject(new Error("unused")) }, traces: { read: () => Promise.reject(new Error("unused")) }, clock, shutdown });
}

/** A watcher reading in the background: what it received so far. */
function watch(service: Tracing, traceId: Uint8Array, signal: AbortSignal): WatchTraceResponse[] {
  return readInBackground(service.watchTrace!(create(WatchTraceRequestSchema, { traceId }), { signal } as HandlerContext) as AsyncIterable<WatchTraceResponse>);
}

describe("WatchTrace on a replica that does not write the trace", () => {
  it("idle watchers cost the store one question per poll in all, not a read each, and see another replica's write within a poll", async () => {
    const shared = new InMemoryEventStore({ clock });
    const stop = stopAfterTest();

    // Replica A writes; replica B only watches, so nothing local ever wakes B's watchers.
    const a = replica(shared, new TraceChangeFeed(), stop.signal);
    const counted = countingReplica(shared, POLL_MS);
    const b = replica(counted.store, counted.changes, stop.signal);

    const roots: { traceId: Uint8Array; spanId: Uint8Array }[] = [];
    for (let i = 0; i < WATCHERS; i++) {
      const root = await a.startTrace!(create(StartTraceRequestSchema, { name: `root ${i}`, serviceName: "replica-a" }), {} as HandlerContext);
      roots.push({ traceId: root.traceId!, spanId: root.spanId! });
    }
    const watched = roots.map((root) => watch(b, root.traceId, stop.signal));
    await until(5_000, "every watcher's replay", () => watched.every((w) => w.length === 2));

    // Idle: several polls go by.
    const readsBefore = counted.reads();
    const questionsBefore = counted.questions();
    await sleep(POLL_MS * 6 + POLL_MS / 2);
    expect(counted.reads() - readsBefore, "reads by idle watchers").toBe(0);
    expect(counted.questions() - questionsBefore).toBeGreaterThanOrEqual(3);
    expect(counted.questions() - questionsBefore).toBeLessThanOrEqual(7);

    // Replica A writes to one trace: its watcher on B sees it within a poll (and a loaded machine's slack).
    const target = 7;
    const written = performance.now();
    await a.startSpan!(create(StartSpanRequestSchema, { traceId: roots[target]!.traceId, parentSpanId: roots[target]!.spanId, name: "child", serviceName: "replica-a" }), {} as HandlerContext);
    await until(POLL_MS + 1_000, "the other replica's write on its watcher", () => watched[target]!.length === 3);
    expect(performance.now() - written).toBeLessThan(POLL_MS + 1_000);
    expect(watched[target]![2]!.event!.streamVersion).toBe(3n);
    // Only that watcher read again.
    expect(counted.reads() - readsBefore).toBeLessThanOrEqual(2);
    expect(watched.filter((w, i) => i !== target && w.length !== 2)).toEqual([]);
  }, 20_000);
});
