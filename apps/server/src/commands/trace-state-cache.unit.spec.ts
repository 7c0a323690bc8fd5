import { describe, expect, it } from "vitest";
import { initialTraceState, type TraceState } from "../domain/trace/trace-state.js";
import { TraceStateCache } from "./trace-state-cache.js";

const id = (n: number) => n.toString(16).padStart(32, "0");
const state = (n: number, status: TraceState["status"]): TraceState => ({ ...initialTraceState(id(n)), status });

describe("TraceStateCache", () => {
  it("keeps open and completed traces apart, each dropping its least recently used first", () => {
    const cache = new TraceStateCache(3, 2);
    for (const n of [1, 2, 3]) cache.remember(id(n), state(n, "open"), 0n);
    for (const n of [11, 12]) cache.remember(id(n), state(n, "completed"), 0n);
    cache.remember(id(1), cache.get(id(1))!, 0n); // 1 is now the most recently used open trace
    cache.remember(id(4), state(4, "empty"), 0n);
    cache.remember(id(13), state(13, "completed"), 0n);
    expect([1, 2, 3, 4].map((n) => cache.has(id(n)))).toEqual([true, false, true, true]);
    expect([11, 12, 13].map((n) => cache.has(id(n)))).toEqual([false, true, true]);
  });

  it("moves a trace that completes to the completed side, and forgets either side's entry", () => {
    const cache = new TraceStateCache(2, 1);
    cache.remember(id(1), state(1, "open"), 0n);
    cache.remember(id(2), state(2, "open"), 0n);
    const done = state(1, "completed");
    cache.remember(id(1), done, 0n);
    expect(cache.get(id(1))).toBe(done);
    // The open side has room again: 2 and 3 both fit.
    cache.remember(id(3), state(3, "open"), 0n);
    expect([cache.has(id(2)), cache.has(id(3))]).toEqual([true, true]);
    cache.delete(id(1));
    cache.delete(id(2));
    expect([cache.get(id(1)), cache.get(id(2)), cache.has(id(3))]).toEqual([undefined, undefined, true]);
  });

  it("drops a state whose trace's last event is older than a cutoff, and keeps the rest", () => {
    const cache = new TraceStateCache(10, 10);
    cache.remember(id(1), state(1, "open"), 100n);
    cache.remember(id(2), state(2, "completed"), 200n);
    expect(cache.lastEventAt(id(2))).toBe(200n);
    cache.deleteIfIdleSince(id(1), 150n);
    cache.deleteIfIdleSince(id(2), 150n);
    cache.deleteIfIdleSince(id(3), 150n);
    expect([cache.has(id(1)), cache.has(id(2))]).toEqual([false, true]);
  });
});
