import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema, TraceState } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { ms, T0 } from "../domain/testing/trace-fixtures.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { buildTraceView } from "../projections/testing/build-trace-view.js";
import { seededRandom } from "../domain/testing/seeded-random.js";
import { randomTraceEvents, TRACE } from "./testing/random-trace.js";
import { wideTraceEvents } from "./testing/wide-trace.js";
import { TraceViewState } from "./trace-view-state.js";

/** What a full fold of the first `version` events answers, encoded as GetTrace sends it. */
function fullFold(events: readonly TraceEventCase[], version: number, at: bigint): Uint8Array {
  return toBinary(GetTraceResponseSchema, create(GetTraceResponseSchema, { trace: buildTraceView(TRACE, events.slice(0, version), at) }));
}

/** The state at `version`, folded from the start in chunks of `chunk` events. */
function stateAt(events: readonly TraceEventCase[], version: number, chunk: number): TraceViewState {
  let state = TraceViewState.empty(TRACE);
  for (let v = 0; v < version; v += chunk) state = state.apply(events.slice(v, Math.min(v + chunk, version)), recordedAt(Math.min(v + chunk, version)));
  return state;
}

const recordedAt = (version: number) => T0 + BigInt(version) * 1000n;

/** Byte-for-byte, and decoded too, so a failure shows which field differs. */
function expectSameView(actual: Uint8Array, expected: Uint8Array, where: string): void {
  if (Buffer.compare(Buffer.from(actual), Buffer.from(expected)) === 0) return;
  expect(fromBinary(GetTraceResponseSchema, actual), where).toEqual(fromBinary(GetTraceResponseSchema, expected));
  expect(Buffer.from(actual).toString("hex"), where).toBe(Buffer.from(expected).toString("hex"));
}

const MOMENTS = [T0 - ms(1), T0 + ms(3), T0 + ms(100)];

describe("a trace view resumed from a snapshot", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`equals the full fold at every version, from snapshots at any earlier version (random trace ${seed})`, () => {
      const events = randomTraceEvents(seed, 120);
      const random = seededRandom(seed * 7919);
      expect(events.length).toBeGreaterThan(100);
      for (let version = 1; version <= events.length; version++) {
        const snapshotVersions = new Set([0, version - 1, version, Math.floor(random() * version), Math.floor(version / 7) * 7]);
        for (const from of snapshotVersions) {
          const stored = stateAt(events, from, 1 + Math.floor(random() * 20)).snapshotBytes();
          const resumed = TraceViewState.fromSnapshot(TRACE, stored, recordedAt(from)).apply(events.slice(from, version), recordedAt(version));
          expect(resumed.version).toBe(version);
          for (const at of MOMENTS) expectSameView(resumed.responseBytes(at), fullFold(events, version, at), `version ${version} from snapshot ${from} at ${at}`);
        }
      }
    });
  }

  it("equals the full fold when applied one event at a time (the cache's path)", () => {
    const events = randomTraceEvents(42, 200);
    let state = TraceViewState.empty(TRACE);
    for (let version = 1; version <= events.length; version++) {
      state = state.apply([events[version - 1]!], recordedAt(version));
      expectSameView(state.responseBytes(T0 + ms(7)), fullFold(events, version, T0 + ms(7)), `version ${version}`);
    }
  });

  it("answers a stable view the same at any moment, and an open view measured to the moment asked", () => {
    const events = randomTraceEvents(9, 80);
    const done = stateAt(events, events.length, 50);
    expect(done.stable).toBe(true);
    expect(fromBinary(GetTraceResponseSchema, done.responseBytes(T0)).trace!.state).toBe(TraceState.COMPLETED);
    expect(done.responseBytes(T0 + ms(999))).toBe(done.responseBytes(T0));

    const running = stateAt(events, 3, 1);
    expect(running.stable).toBe(false);
    const early = fromBinary(GetTraceResponseSchema, running.responseBytes(T0 + ms(10))).trace!;
    const later = fromBinary(GetTraceResponseSchema, running.responseBytes(T0 + ms(20))).trace!;
    expect(later.spans[0]!.durationNano - early.spans[0]!.durationNano).toBe(ms(10));
  });

  it("shares untouched spans with the state it came from and leaves that state as it was", () => {
    const events = randomTraceEvents(11, 120);
    const before = stateAt(events, 60, 60);
    const bytesBefore = before.responseBytes(T0 + ms(5));
    const after = before.apply(events.slice(60), recordedAt(events.length));
    expect(before.responseBytes(T0 + ms(5))).toEqual(bytesBefore);
    const untouched = after.entries.filter((entry) => before.entries.includes(entry));
    expect(untouched.length).toBeGreaterThan(0);
    expectSameView(after.responseBytes(T0 + ms(5)), fullFold(events, events.length, T0 + ms(5)), "after");
  });
});

describe("a trace view applied in steps", () => {
  it("answers as the full fold when its events touch thousands of stored spans, decoded and encoded a few at a time", () => {
    // Every span started first and ended after: the ends touch 3,000 spans of the snapshot at once.
    const wide = wideTraceEvents(3000, TRACE);
    const events = [...wide.filter((e) => e.case === "spanStarted"), ...wide.filter((e) => e.case !== "spanStarted")];
    const started = 3000;
    const open = TraceViewState.empty(TRACE).apply(events.slice(0, started), recordedAt(started));
    expectSameView(open.responseBytes(T0 + ms(5)), fullFold(events, started, T0 + ms(5)), "all started");

    const resumed = TraceViewState.fromSnapshot(TRACE, open.snapshotBytes(), recordedAt(started));
    const steps = resumed.applySteps(events.slice(started), recordedAt(events.length));
    let pauses = 0;
    let next = steps.next();
    for (; !next.done; next = steps.next()) pauses++;
    // Points to pause at least every 256 events applied and every 128 spans decoded or encoded.
    expect(pauses).toBeGreaterThanOrEqual(Math.floor((events.length - started) / 256) + 2 * Math.floor(started / 128));
    const done = next.value;
    expect(done.stable).toBe(true);
    expectSameView(done.responseBytes(T0 + ms(5)), fullFold(events, events.length, T0 + ms(5)), "all ended");
    expectSameView(TraceViewState.fromSnapshot(TRACE, done.snapshotBytes(), 0n).responseBytes(T0), fullFold(events, events.length, 0n), "its snapshot");
  });
});
