import { describe, expect, it } from "vitest";
import { initialTraceState, type TraceState } from "../domain/trace/trace-state.js";
import { TraceStateCache } from "./trace-state-cache.js";

const id = (n: number) => n.toString(16).padStart(32, "0");
const state = (n: number, status: TraceState["status"]): TraceState => ({ ...initialTraceState(id(n)), status });

describe("TraceStateCache", () => {
  it("keeps open and completed traces apart, each dropping its least recently used first", () => {
    const cache = new TraceStateCache(3, 2);
    for (const n of [1, 2, 3]) cache.remember(id(n), state(n, "open"));
    for (const n of [11, 12]) cache.remember(id(n), state(n, "completed"));
    cache.remember(id(1), cache.get(id(1))!); // 1 is now the most recently used open trace
    cache.remember(id(4), state(4, "empty"));
    cache.remember(id(13), state(13, "completed"));
    expect([1, 2, 3, 4].map((n) => cache.has(id(n)))).toEqual([true, false, true, true]);
    expect([11, 12, 13].map((n) => cache.has(id(n)))).toEqual([false, true, true]);
  });

  it("moves a trace that completes to the completed side, and forgets either side's entry", () => {
    const cache = new TraceStateCache(2, 1);
    cache.remember(id(1), state(1, "open"));
    cache.remember(id(2), state(2, "open"));
    const done = state(1, "completed");
    cache.remember(id(1), done);
    expect(cache.get(id(1))).toBe(done);
    // The open side has room again: 2 and 3 both fit.
    cache.remember(id(3), state(3, "open"));
    expect([cache.has(id(2)), cache.has(id(3))]).toEqual([true, true]);
    cache.delete(id(1));
    cache.delete(id(2));
    expect([cache.get(id(1)), cache.get(id(2)), cache.has(id(3))]).toEqual([undefined, undefined, true]);
  });
});
