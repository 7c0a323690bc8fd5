import { describe, expect, it } from "vitest";
import { DEFAULT_MONITORING_CONFIG, MAX_ERROR_RATE_BUCKETS, monitoringConfig, slowSpanThresholdNs } from "./monitoring-config.js";

const SECOND = 1_000_000_000n;

describe("monitoring config", () => {
  it("defaults: 5 s slow span, 10 s slow trace, 10% error rate over 60 s with 20 samples", () => {
    const c = monitoringConfig();
    expect(c.slowSpan.defaultNs).toBe(5n * SECOND);
    expect(c.slowTraceThresholdNs).toBe(10n * SECOND);
    expect(c.errorRate).toEqual({ threshold: 0.1, resolveAt: 0.1, windowNs: 60n * SECOND, bucketNs: 10n * SECOND, minSamples: 20 });
    expect(c.anomaly.k).toBe(4);
    expect(c).toEqual(DEFAULT_MONITORING_CONFIG);
  });

  it("a slow-span threshold comes from the operation, else the service, else the default", () => {
    const c = monitoringConfig({ slowSpan: { defaultNs: 5n * SECOND, byService: { payments: 2n * SECOND }, byOperation: { payments: { refund: 30n * SECOND } } } });
    expect(slowSpanThresholdNs(c, "payments", "refund")).toBe(30n * SECOND);
    expect(slowSpanThresholdNs(c, "payments", "charge")).toBe(2n * SECOND);
    expect(slowSpanThresholdNs(c, "checkout", "refund")).toBe(5n * SECOND);
  });

  it("a threshold override alone also moves the resolve level; an explicit one is kept", () => {
    expect(monitoringConfig({ errorRate: { threshold: 0.2 } }).errorRate.resolveAt).toBe(0.2);
    expect(monitoringConfig({ errorRate: { threshold: 0.2, resolveAt: 0.15 } }).errorRate.resolveAt).toBe(0.15);
  });

  it("rejects values the rules cannot work with", () => {
    expect(() => monitoringConfig({ errorRate: { windowNs: 65n * SECOND } })).toThrow(/whole number of buckets/);
    // A counter per bucket for each service and operation: a day in 1 ms buckets would not fit in memory.
    expect(() => monitoringConfig({ errorRate: { windowNs: 86_400n * SECOND, bucketNs: 1_000_000n }, statsRetentionNs: 86_400n * SECOND })).toThrow(/at most 1000 buckets/);
    expect(monitoringConfig({ errorRate: { windowNs: 1000n * SECOND, bucketNs: SECOND } }).errorRate.windowNs).toBe(1000n * SECOND);
    expect(Number(DEFAULT_MONITORING_CONFIG.errorRate.windowNs / DEFAULT_MONITORING_CONFIG.errorRate.bucketNs)).toBeLessThanOrEqual(MAX_ERROR_RATE_BUCKETS / 100);
    expect(() => monitoringConfig({ errorRate: { threshold: 1.5 } })).toThrow(RangeError);
    expect(() => monitoringConfig({ errorRate: { threshold: 0.1, resolveAt: 0.2 } })).toThrow(/resolveAt/);
    expect(() => monitoringConfig({ errorRate: { minSamples: 0 } })).toThrow(/minSamples/);
    expect(() => monitoringConfig({ statsRetentionNs: SECOND })).toThrow(/statsRetentionNs/);
    expect(() => monitoringConfig({ orphanTimeoutNs: 0n })).toThrow(/orphanTimeoutNs/);
    expect(() => monitoringConfig({ slowSpan: { byService: { payments: -1n } } })).toThrow(/payments/);
    expect(() => monitoringConfig({ anomaly: { alpha: 0 } })).toThrow(/alpha/);
  });
});
