import { describe, expect, it } from "vitest";
import { loadMonitoringSettings } from "./monitoring-settings.js";

const MS = 1_000_000n;

function load(env: Record<string, string>) {
  const problems: string[] = [];
  return { settings: loadMonitoringSettings(env, problems), problems };
}

describe("monitoring settings from the environment", () => {
  it("default to the original design: 5 s slow span, 10 s slow trace, 10% error rate", () => {
    const { settings, problems } = load({});
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({ enabled: true, tickIntervalMs: 1000, leaseMs: 15_000, webhookUrl: "", snapshotEveryEvents: 250_000 });
    expect(settings.saga.slowSpan.defaultNs).toBe(5000n * MS);
    expect(settings.saga.slowTraceThresholdNs).toBe(10_000n * MS);
    expect(settings.saga.errorRate).toMatchObject({ threshold: 0.1, minSamples: 20, windowNs: 60_000n * MS, bucketNs: 10_000n * MS });
  });

  it("read thresholds, per-service and per-operation overrides, critical types and the webhook", () => {
    const { settings, problems } = load({
      MONITORING_ENABLED: "false",
      MONITORING_SLOW_SPAN_MS: "250",
      MONITORING_SLOW_SPAN_OVERRIDES: "payments=8000, checkout/POST /pay = 2000",
      MONITORING_ERROR_RATE_THRESHOLD: "0.05",
      MONITORING_CRITICAL_ERROR_TYPES: "OutOfMemoryError, DataLoss",
      ALERT_WEBHOOK_URL: "https://hooks.example/alerts",
    });
    expect(problems).toEqual([]);
    expect(settings.enabled).toBe(false);
    expect(settings.saga.slowSpan.defaultNs).toBe(250n * MS);
    expect(settings.saga.slowSpan.byService.get("payments")).toBe(8000n * MS);
    expect(settings.saga.slowSpan.byOperation.get("checkout")?.get("POST /pay")).toBe(2000n * MS);
    expect(settings.saga.errorRate.threshold).toBe(0.05);
    expect([...settings.saga.criticalErrorTypes]).toEqual(["OutOfMemoryError", "DataLoss"]);
    expect(settings.webhookUrl).toBe("https://hooks.example/alerts");
  });

  it("take 0 for never writing the saga's snapshot, and refuse what is not a count of events", () => {
    expect(load({ MONITORING_SNAPSHOT_EVERY_EVENTS: "0" })).toMatchObject({ settings: { snapshotEveryEvents: 0 }, problems: [] });
    expect(load({ MONITORING_SNAPSHOT_EVERY_EVENTS: "1e6" }).problems).toEqual(['MONITORING_SNAPSHOT_EVERY_EVENTS="1e6" is not a whole number between 0 and 1000000000']);
  });

  it("read MONITORING_MAX_OPERATIONS (10000 unless given), and refuse what is not a count from 1 to 1000000", () => {
    expect(load({}).settings.saga.maxOperations).toBe(10_000);
    expect(load({ MONITORING_MAX_OPERATIONS: " 500 " })).toMatchObject({ settings: { saga: { maxOperations: 500 } }, problems: [] });
    for (const bad of ["0", "-1", "1.5", "10k", "1e4", "1000001"]) {
      const { settings, problems } = load({ MONITORING_MAX_OPERATIONS: bad });
      expect(problems).toEqual([`MONITORING_MAX_OPERATIONS=${JSON.stringify(bad)} is not a whole number between 1 and 1000000`]);
      expect(settings.saga.maxOperations).toBe(10_000);
    }
  });

  it("refuse an override past a day, and one given twice (which of the two would win is not obvious)", () => {
    const { problems } = load({ MONITORING_SLOW_SPAN_OVERRIDES: "a=86400000,b=86400001,c/op=1,c/op=2,c=5,c =6" });
    expect(problems).toEqual([
      'MONITORING_SLOW_SPAN_OVERRIDES: "b=86400001" is not service=ms or service/span name=ms (ms from 1 to 86400000)',
      'MONITORING_SLOW_SPAN_OVERRIDES: "c/op" is given twice',
      'MONITORING_SLOW_SPAN_OVERRIDES: "c" is given twice',
    ]);
  });

  it("refuse an error-rate window of more than 1000 buckets, naming both settings: each service and operation counts every bucket", () => {
    // A day in 1 ms buckets: 86,400,000 counters per operation, allocated at the first ended span.
    expect(load({ MONITORING_ERROR_RATE_WINDOW_MS: "86400000", MONITORING_ERROR_RATE_BUCKET_MS: "1" }).problems).toEqual([
      "MONITORING_ERROR_RATE_WINDOW_MS (86400000) is 86400000 buckets of MONITORING_ERROR_RATE_BUCKET_MS (1): at most 1000 are allowed (each service and operation keeps a count per bucket); use larger buckets or a shorter window",
    ]);
    expect(load({ MONITORING_ERROR_RATE_WINDOW_MS: "1001", MONITORING_ERROR_RATE_BUCKET_MS: "1" }).problems).toHaveLength(1);
    expect(load({ MONITORING_ERROR_RATE_WINDOW_MS: "1000", MONITORING_ERROR_RATE_BUCKET_MS: "1" })).toMatchObject({ settings: { saga: { errorRate: { windowNs: 1000n * MS, bucketNs: MS } } }, problems: [] });
    // Not whole buckets and too many: both are named at once.
    expect(load({ MONITORING_ERROR_RATE_WINDOW_MS: "2000001", MONITORING_ERROR_RATE_BUCKET_MS: "2" }).problems).toEqual([
      expect.stringContaining("MONITORING_ERROR_RATE_WINDOW_MS (2000001) is 1000001 buckets of MONITORING_ERROR_RATE_BUCKET_MS (2): at most 1000"),
      expect.stringContaining("MONITORING_ERROR_RATE_WINDOW_MS (2000001) must be a whole multiple of MONITORING_ERROR_RATE_BUCKET_MS (2)"),
    ]);
  });

  it("report a bad value as given, letter case included", () => {
    expect(load({ MONITORING_ENABLED: "YES" }).problems).toEqual(['MONITORING_ENABLED="YES" must be true or false']);
    expect(load({ MONITORING_ENABLED: "False" })).toMatchObject({ settings: { enabled: false }, problems: [] });
  });

  it("take the error-rate threshold in decimal notation only, and whole numbers in decimal digits only", () => {
    expect(load({ MONITORING_ERROR_RATE_THRESHOLD: ".5" })).toMatchObject({ settings: { saga: { errorRate: { threshold: 0.5 } } }, problems: [] });
    for (const raw of ["0x0.1", "1e-1", "Infinity", "-0.1"]) {
      expect(load({ MONITORING_ERROR_RATE_THRESHOLD: raw }).problems).toEqual([`MONITORING_ERROR_RATE_THRESHOLD=${JSON.stringify(raw)} must be a number between 0 and 1 (exclusive)`]);
    }
    expect(load({ MONITORING_TICK_MS: "0x10" }).problems).toEqual(['MONITORING_TICK_MS="0x10" is not a whole number between 10 and 60000']);
  });

  it("name every bad value", () => {
    const { problems } = load({
      MONITORING_ENABLED: "yes",
      MONITORING_SLOW_SPAN_MS: "5s",
      MONITORING_SLOW_SPAN_OVERRIDES: "payments",
      MONITORING_ERROR_RATE_THRESHOLD: "10%",
      MONITORING_ERROR_RATE_WINDOW_MS: "25000",
      MONITORING_TICK_MS: "0",
      ALERT_WEBHOOK_URL: "ftp://example",
    });
    expect(problems).toEqual([
      'MONITORING_ENABLED="yes" must be true or false',
      'MONITORING_ERROR_RATE_THRESHOLD="10%" must be a number between 0 and 1 (exclusive)',
      'MONITORING_SLOW_SPAN_OVERRIDES: "payments" is not service=ms or service/span name=ms (ms from 1 to 86400000)',
      'ALERT_WEBHOOK_URL="ftp://example" must be an http:// or https:// URL',
      'MONITORING_SLOW_SPAN_MS="5s" is not a whole number between 1 and 86400000',
      expect.stringContaining("MONITORING_ERROR_RATE_WINDOW_MS (25000) must be a whole multiple of MONITORING_ERROR_RATE_BUCKET_MS (10000)"),
      'MONITORING_TICK_MS="0" is not a whole number between 10 and 60000',
    ]);
  });

  it("refuse a webhook URL whose credentials do not percent-decode, and never quote them", () => {
    expect(load({ ALERT_WEBHOOK_URL: "https://hook:%ZZsecret@hooks.example/alerts" }).problems).toEqual([
      "ALERT_WEBHOOK_URL has a user name or password with a malformed percent-encoding (write a '%' in them as %25)",
    ]);
    const [notHttp] = load({ ALERT_WEBHOOK_URL: "ftp://hook:secret@hooks.example/alerts" }).problems;
    expect(notHttp).toBe('ALERT_WEBHOOK_URL="ftp://***@hooks.example/alerts" must be an http:// or https:// URL');
  });
});
