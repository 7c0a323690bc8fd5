// A read of a big trace shares the event loop: it runs in time slices and lets
// the loop turn between them (time-slices.ts), so other calls wait a slice, not
// the read (GetTrace of a 60,000-span trace held the loop 2 s before). Checked
// here without timing: with slices of 0 ms the reader pauses at every step, so a
// callback waiting for the loop's next turn must run while it reads, and only a
// step's work may pass between two turns; with slices longer than any read, it
// never pauses. The answers are those of the full fold either way.

import { create, toBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema } from "@traceledger/proto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { T0 } from "../domain/testing/trace-fixtures.js";
import { buildTraceView } from "../projections/testing/build-trace-view.js";
import { TraceViewBuilder } from "../projections/trace-view.js";
import { SnapshotWriter } from "./snapshot-writer.js";
import { MemoryViewStore } from "./testing/memory-view-store.js";
import { TRACE } from "./testing/random-trace.js";
import { wideTraceEvents } from "./testing/wide-trace.js";
import { TraceReader, type TraceMoment } from "./trace-reader.js";
import { TraceViewCache } from "./trace-view-cache.js";

const NOW = T0 + 10n ** 12n;
const SPANS = 12_000;
const events = wideTraceEvents(SPANS);
const recordedAt = (version: number) => T0 + BigInt(version);

function expected(version: number, at: bigint): Buffer {
  return Buffer.from(toBinary(GetTraceResponseSchema, create(GetTraceResponseSchema, { trace: buildTraceView(TRACE, events.slice(0, version), at) })));
}

/**
 * Reads while a callback runs at every turn of the event loop: how many turns the read
 * let happen, and the most events the view fold applied between two of them.
 */
async function readWatchingTheLoop(reader: TraceReader, moment: TraceMoment): Promise<{ answer: Buffer; turns: number; mostEventsBetweenTurns: number }> {
  let applied = 0;
  const apply = TraceViewBuilder.prototype.apply;
  const spy = vi.spyOn(TraceViewBuilder.prototype, "apply").mockImplementation(function (this: TraceViewBuilder, event) {
    applied++;
    return apply.call(this, event);
  });
  let reading = true;
  let turns = 0;
  let seen = 0;
  let most = 0;
  const turn = () => {
    if (!reading) return;
    turns++;
    most = Math.max(most, applied - seen);
    seen = applied;
    setImmediate(turn);
  };
  setImmediate(turn);
  try {
    const answer = await reader.read(TRACE, moment);
    most = Math.max(most, applied - seen);
    return { answer: Buffer.from(answer!), turns, mostEventsBetweenTurns: most };
  } finally {
    reading = false;
    spy.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe(`TraceReader on a trace of ${SPANS} spans`, () => {
  it("lets the event loop turn while it folds the trace from scratch, a step's events at most between two turns", async () => {
    const store = new MemoryViewStore(events, recordedAt);
    const writer = new SnapshotWriter(store, { maxPending: 100_000 });
    const reader = new TraceReader({ store, clock: () => NOW, cache: new TraceViewCache(1024 * 1024 * 1024), snapshots: writer, snapshotEvery: 128, sliceMs: 0 });

    const { answer, turns, mostEventsBetweenTurns } = await readWatchingTheLoop(reader, { kind: "now" });
    expect(Buffer.compare(answer, expected(events.length, NOW))).toBe(0);
    // Before, the whole read ran without one turn of the loop (the store answered at once).
    expect(turns).toBeGreaterThan(events.length / 256);
    expect(mostEventsBetweenTurns).toBeLessThanOrEqual(256);
    await writer.idle();
  });

  it("lets the event loop turn while it answers from stored snapshots: a fresh replica, now and as of a version", async () => {
    const store = new MemoryViewStore(events, recordedAt);
    const writer = new SnapshotWriter(store, { maxPending: 100_000 });
    await new TraceReader({ store, clock: () => NOW, snapshots: writer }).read(TRACE, { kind: "now" });
    await writer.idle();

    // Now: the completed trace's snapshot, copied into the answer a part at a time.
    const now = await readWatchingTheLoop(new TraceReader({ store, clock: () => NOW, sliceMs: 0 }), { kind: "now" });
    expect(Buffer.compare(now.answer, expected(events.length, NOW))).toBe(0);
    expect(now.turns).toBeGreaterThan(0);

    // As of a version: the nearest snapshot's spans parsed, the events after it applied, the answer encoded, in steps.
    const version = Math.floor(events.length * 0.7) + 5;
    const past = await readWatchingTheLoop(new TraceReader({ store, clock: () => NOW, sliceMs: 0 }), { kind: "version", version });
    expect(Buffer.compare(past.answer, expected(version, recordedAt(version)))).toBe(0);
    expect(past.turns).toBeGreaterThan(SPANS / 1024);
    expect(past.mostEventsBetweenTurns).toBeLessThanOrEqual(256);
  });

  it("never pauses a read shorter than its slice", async () => {
    const store = new MemoryViewStore(events, recordedAt);
    const reader = new TraceReader({ store, clock: () => NOW, cache: new TraceViewCache(1024 * 1024 * 1024), sliceMs: 1e9 });
    const { answer, turns } = await readWatchingTheLoop(reader, { kind: "version", version: events.length - 3 });
    expect(Buffer.compare(answer, expected(events.length - 3, recordedAt(events.length - 3)))).toBe(0);
    expect(turns).toBe(0);
  });
});
