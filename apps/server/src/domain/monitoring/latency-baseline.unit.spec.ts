import { describe, expect, it } from "vitest";
import { addLatencySample, anomalyThresholdNs, newLatencyBaseline } from "./latency-baseline.js";

describe("latency baseline", () => {
  it("until 1/alpha samples it is the plain mean and (population) variance", () => {
    const b = newLatencyBaseline();
    for (const x of [10, 20, 30, 40]) addLatencySample(b, x, 0.01);
    expect(b.samples).toBe(4);
    expect(b.meanNs).toBeCloseTo(25, 10);
    expect(b.varianceNs2).toBeCloseTo(125, 10);
  });

  it("then it decays: a lasting shift becomes the new mean", () => {
    const b = newLatencyBaseline();
    for (let i = 0; i < 200; i++) addLatencySample(b, 20, 0.05);
    for (let i = 0; i < 200; i++) addLatencySample(b, 40, 0.05);
    expect(b.meanNs).toBeGreaterThan(39.9);
  });

  it("the band is mean + k deviations, with the deviation floored", () => {
    const b = newLatencyBaseline();
    for (const x of [18, 22]) addLatencySample(b, x, 0.01);
    expect(anomalyThresholdNs(b, 4, 0)).toBeCloseTo(28, 10);
    expect(anomalyThresholdNs(b, 4, 5)).toBeCloseTo(40, 10);
  });

  it("the same samples give the same bits", () => {
    const one = newLatencyBaseline();
    const two = newLatencyBaseline();
    for (let i = 0; i < 1000; i++) {
      addLatencySample(one, (i * 7919) % 1000, 0.01);
      addLatencySample(two, (i * 7919) % 1000, 0.01);
    }
    expect(Object.is(one.meanNs, two.meanNs) && Object.is(one.varianceNs2, two.varianceNs2)).toBe(true);
  });
});
