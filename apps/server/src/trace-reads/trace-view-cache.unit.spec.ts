import { describe, expect, it } from "vitest";
import { randomTraceEvents, TRACE } from "./testing/random-trace.js";
import { TraceViewCache } from "./trace-view-cache.js";
import { TraceViewState } from "./trace-view-state.js";

const events = randomTraceEvents(5, 60);
const OTHER = "0af7651916cd43dd8448eb211c80319c";
/** States of the random trace at these versions, each recorded at time = 10 x version. */
const states = (traceId: string, ...versions: number[]) =>
  versions.map((v) => TraceViewState.empty(traceId).apply(events.slice(0, v), BigInt(v * 10)));

describe("the view cache", () => {
  it("finds the highest cached version within the bounds asked", () => {
    const cache = new TraceViewCache(1 << 30);
    for (const state of states(TRACE, 5, 20, 40)) cache.put(state, "base");
    expect(cache.best(TRACE)?.version).toBe(40);
    expect(cache.best(TRACE, 39)?.version).toBe(20);
    expect(cache.best(TRACE, 4)).toBeUndefined();
    expect(cache.best(TRACE, undefined, 399n)?.version).toBe(20);
    expect(cache.best(OTHER)).toBeUndefined();
  });

  it("counts the answer a cached state keeps once it has answered, and stays within its budget", () => {
    const [a, b] = states(TRACE, 30, 31);
    const cache = new TraceViewCache(a!.sizeBytes + b!.sizeBytes + 10);
    cache.put(a!, "base");
    cache.put(b!, "base");
    const sizeAtPut = a!.sizeBytes;
    a!.responseBytes(a!.recordedAt); // an as-of-version read answered from the cached state keeps its answer
    expect(a!.sizeBytes).toBeGreaterThan(sizeAtPut);
    cache.remeasure(a!);
    expect(cache.sizeBytes).toBeLessThanOrEqual(a!.sizeBytes + b!.sizeBytes + 10);
    expect(cache.best(TRACE, 30)).toBeUndefined(); // over budget: a, the least recently used, went
    expect(cache.best(TRACE)).toBe(b);
  });

  it("evicts the least recently used states beyond its byte budget, and keeps a few versions per trace", () => {
    const [a, b] = states(TRACE, 30, 31);
    const [c] = states(OTHER, 30);
    const cache = new TraceViewCache(a!.sizeBytes + b!.sizeBytes + 10, 2);
    cache.put(a!, "base");
    cache.put(b!, "base");
    expect(cache.best(TRACE, 30)).toBe(a);
    cache.put(c!, "base"); // over budget: b is the least recently used
    expect(cache.best(TRACE)).toBe(a);
    expect(cache.best(OTHER)).toBe(c);
    expect(cache.sizeBytes).toBeLessThanOrEqual(a!.sizeBytes + b!.sizeBytes + 10);

    const perTrace = new TraceViewCache(1 << 30, 2);
    const [v10, v11, v12] = states(TRACE, 10, 11, 12);
    perTrace.put(v10!, "base");
    perTrace.put(v11!, "base");
    expect(perTrace.best(TRACE, 10)).toBe(v10); // 11 is now the least recently used
    perTrace.put(v12!, "base");
    expect(perTrace.best(TRACE, 11)).toBe(v10);
    expect(perTrace.best(TRACE)).toBe(v12);
  });

  it("keeps one head per trace: a newer head replaces the last, unless that one is also a base", () => {
    const cache = new TraceViewCache(1 << 30);
    const [v8, v9, v16, v20] = states(TRACE, 8, 9, 16, 20);
    cache.put(v8!, "head");
    cache.put(v9!, "head");
    expect(cache.best(TRACE, 8)).toBeUndefined();
    cache.put(v16!, "base");
    cache.put(v16!, "head");
    cache.put(v20!, "head");
    expect(cache.best(TRACE, 19)).toBe(v16);
    expect(cache.best(TRACE, 15)).toBeUndefined();
    expect(cache.best(TRACE)).toBe(v20);
  });

  it("forgets every version of a trace", () => {
    const cache = new TraceViewCache(1 << 30);
    for (const state of [...states(TRACE, 3, 9), ...states(OTHER, 4)]) cache.put(state, "base");
    cache.forget(TRACE);
    expect(cache.best(TRACE)).toBeUndefined();
    expect(cache.best(OTHER)?.version).toBe(4);
  });
});
