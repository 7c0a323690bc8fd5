// What both retention jobs share beyond their schedule: the warning about what holds a
// pass back, given at most every 10 minutes however often the passes run.

import { afterEach, describe, expect, it, vi } from "vitest";
import { RetentionLoop, retentionIntervalMs } from "./retention-loop.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("RetentionLoop", () => {
  it("names what held a pass back at most every 10 minutes, and nothing when nothing did", () => {
    let now = 1_000_000;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const loop = new RetentionLoop(() => 1000, async () => {}, () => {});
    const warned: string[] = [];
    const pass = (by: string | undefined) => loop.heldBack(by, (reader) => warned.push(reader));
    pass(undefined);
    pass("alert-webhook");
    now += 599_999;
    pass("alert-webhook");
    expect(warned).toEqual(["alert-webhook"]);
    now += 1;
    pass(undefined);
    pass("monitoring-saga");
    expect(warned).toEqual(["alert-webhook", "monitoring-saga"]);
  });

  it("runs a pass every tenth of the period, between 1 s and 10 minutes", () => {
    const SECOND = 1_000_000_000n;
    expect([retentionIntervalMs(SECOND), retentionIntervalMs(100n * SECOND), retentionIntervalMs(86_400n * SECOND)]).toEqual([1_000, 10_000, 600_000]);
  });
});
