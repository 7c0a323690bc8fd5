import { describe, expect, it } from "vitest";
import { fullJitterBackoffMs } from "./retry-backoff.js";

const policy = { initialMs: 100, maxMs: 1000 };

describe("fullJitterBackoffMs", () => {
  it("doubles the ceiling per retry up to the maximum", () => {
    const ceilings = [0, 1, 2, 3, 4, 10, 2000].map((attempt) => fullJitterBackoffMs(attempt, policy, () => 0.999999));
    expect(ceilings).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it("draws uniformly below the ceiling (full jitter), down to zero", () => {
    expect(fullJitterBackoffMs(2, policy, () => 0)).toBe(0);
    expect(fullJitterBackoffMs(2, policy, () => 0.5)).toBe(200);
  });
});
