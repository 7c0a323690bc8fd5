import { describe, expect, it, vi } from "vitest";
import { handleMonitoringInput } from "./distributed-tracing-saga.js";
import * as window from "./error-rate-window.js";
import { monitoringConfig } from "./monitoring-config.js";
import type { MonitoringInput } from "./monitoring-input.js";
import { initialMonitoringState } from "./monitoring-state.js";
import { callEnded, callStarted, s, T0 } from "./testing/monitoring-fixtures.js";

// Every walk of an error-rate window counted, wherever it comes from (the rules, the cap).
vi.mock("./error-rate-window.js", async (importOriginal) => {
  const original = await importOriginal<typeof window>();
  return { ...original, releasingBucket: vi.fn(original.releasingBucket) };
});

const ms = 1_000_000n;
const HELD = 100;
const NEW_NAMES = 200;

describe("the cap's cost with statistics held by an open error-rate alert", () => {
  it("new names past the cap walk no error-rate window per held statistic: each is walked once, then its answer is kept", () => {
    const config = monitoringConfig({ maxOperations: HELD + 10, errorRate: { minSamples: 5 } });
    const state = initialMonitoringState(config);
    const feed = (inputs: MonitoringInput[]) => {
      for (const input of inputs) handleMonitoringInput(state, input);
    };
    let n = 0;
    const call = (name: string, service: string, at: bigint, error: boolean) => [...callStarted(++n, { start: at, name, service }), ...callEnded(n, { start: at, end: at + ms, error })];
    // HELD operations of payments, five failures each: each holds an error-rate alert open for a minute.
    const from = T0 + s(0.01);
    for (let h = 0; h < HELD; h++) for (let k = 0; k < 5; k++) feed(call(`charge ${h}`, "payments", from + BigInt(h * 5 + k) * 10_000n, true));
    const open = [...state.statisticAlerts.values()].filter((a) => a.subject.type === "operation").length;
    expect(open).toBe(HELD);
    // Filling the map, then new names 20 s later (two buckets on, no tick between): each is past the cap.
    for (let f = 0; f < 10; f++) feed(call(`fill ${f}`, "orders", from + s(1) + BigInt(f) * ms, false));
    const walks = vi.mocked(window.releasingBucket);
    walks.mockClear();
    for (let i = 0; i < NEW_NAMES; i++) feed(call(`GET /orders/${i}`, "orders", from + s(20) + BigInt(i) * ms, false));
    expect(state.operations.size).toBe(HELD + 10);
    expect(state.statsEvicted).toBe(NEW_NAMES);
    // Once per held operation and the payments service, and a few more: not per new name.
    expect(walks.mock.calls.length).toBeLessThanOrEqual(HELD + 1 + 10);
  });
});
