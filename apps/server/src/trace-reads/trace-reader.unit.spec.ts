import { create, toBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema } from "@traceledger/proto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { T0 } from "../domain/testing/trace-fixtures.js";
import { buildTraceView } from "../projections/testing/build-trace-view.js";
import { SnapshotWriter } from "./snapshot-writer.js";
import { MemoryViewStore } from "./testing/memory-view-store.js";
import { TRACE } from "./testing/random-trace.js";
import { wideTraceEvents } from "./testing/wide-trace.js";
import { TraceReader } from "./trace-reader.js";
import { TraceViewCache } from "./trace-view-cache.js";
import { TraceViewState } from "./trace-view-state.js";

const NOW = T0 + 10n ** 12n;
const EVERY = 128;
const SPANS = 20_000;
const events = wideTraceEvents(SPANS);
const recordedAt = (version: number) => T0 + BigInt(version);

/**
 * The work of a read beside decoding and folding its events: every apply passes over
 * the spans of the state it is applied to (copying the list, indexing it).
 */
function countApplies() {
  const work = { applies: 0, spansPassed: 0, events: 0 };
  // apply() and the reader's time-sliced applies both go through applySteps().
  const applySteps = TraceViewState.prototype.applySteps;
  vi.spyOn(TraceViewState.prototype, "applySteps").mockImplementation(function (this: TraceViewState, batch, at) {
    work.applies++;
    work.spansPassed += this.spanCount;
    work.events += batch.length;
    return applySteps.call(this, batch, at);
  });
  return work;
}

function expected(version: number, at: bigint): Uint8Array {
  return toBinary(GetTraceResponseSchema, create(GetTraceResponseSchema, { trace: buildTraceView(TRACE, events.slice(0, version), at) }));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe(`TraceReader on a trace of ${SPANS} spans`, () => {
  it("reads it from scratch with work linear in its events, offering snapshots up to the last snapshot version", async () => {
    expect(events.length).toBeGreaterThan(2 * SPANS);
    const store = new MemoryViewStore(events, recordedAt);
    const writer = new SnapshotWriter(store, { maxPending: 100_000 });
    const reader = new TraceReader({ store, clock: () => NOW, cache: new TraceViewCache(1024 * 1024 * 1024), snapshots: writer, snapshotEvery: EVERY });
    const work = countApplies();

    const answer = await reader.read(TRACE, { kind: "now" });
    expect(work.events).toBe(events.length);
    // A state at every multiple of 128 passed over ~ (42,000 / 128) x 10,000 spans: 3.3 million, 80 per event.
    // Now each pass is paid for by at least spans / 8 events folded before it.
    expect(work.spansPassed).toBeLessThanOrEqual(9 * events.length);
    expect(work.applies).toBeLessThan(100);
    expect(Buffer.compare(Buffer.from(answer!), Buffer.from(expected(events.length, NOW)))).toBe(0);

    await writer.idle();
    const versions = [...store.snapshots.keys()].sort((a, b) => a - b);
    expect(versions.every((v) => v % EVERY === 0 || v === events.length)).toBe(true);
    // The last snapshot version is always there (the next reads start from it), and the completed end.
    const lastMultiple = events.length - (events.length % EVERY);
    expect(versions.slice(-2)).toEqual(lastMultiple === events.length ? [versions.at(-2), lastMultiple] : [lastMultiple, events.length]);
    // A trace of up to 8 x 128 spans gets one at every multiple, as before: this one's first ones.
    expect(versions.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => i * EVERY));
    // Apart by at most spans / 8 + 128 versions: time travel folds no more than it answers.
    for (let i = 1; i < versions.length; i++) expect(versions[i]! - versions[i - 1]!).toBeLessThanOrEqual(SPANS / 8 + EVERY);
  });

  it("reads it as of a version from a snapshot near it, and stores the one at the last snapshot version before it", async () => {
    const store = new MemoryViewStore(events, recordedAt);
    const writer = new SnapshotWriter(store, { maxPending: 100_000 });
    await new TraceReader({ store, clock: () => NOW, snapshots: writer, snapshotEvery: EVERY }).read(TRACE, { kind: "now" });
    await writer.idle();
    const version = Math.floor(events.length * 0.7) + 5;
    const nearest = Math.max(...[...store.snapshots.keys()].filter((v) => v <= version));
    const lastMultiple = version - (version % EVERY);

    const reader = new TraceReader({ store, clock: () => NOW, cache: new TraceViewCache(1024 * 1024 * 1024), snapshots: writer, snapshotEvery: EVERY });
    const work = countApplies();
    const answer = await reader.read(TRACE, { kind: "version", version });
    expect(store.loads.at(-1)).toEqual({ snapshot: nearest, events: version - nearest });
    expect(version - nearest).toBeLessThanOrEqual(SPANS / 8 + 2 * EVERY);
    expect(work.events).toBe(version - nearest);
    expect(Buffer.compare(Buffer.from(answer!), Buffer.from(expected(version, recordedAt(version))))).toBe(0);
    await writer.idle();
    expect(store.snapshots.has(lastMultiple)).toBe(true);
  });
});
