import { describe, expect, it } from "vitest";
import { isRetryableStatus, retryDelayMs } from "./retry-delay.js";

const policy = { baseMs: 500, maxMs: 30_000 };
const now = Date.parse("2026-11-25T12:00:00Z");

describe("webhook retry delays", () => {
  it("honour Retry-After in seconds and as an HTTP date, capped at the maximum", () => {
    expect(retryDelayMs(1, "2", policy, now, 0.9)).toBe(2000);
    expect(retryDelayMs(1, "Wed, 25 Nov 2026 12:00:07 GMT", policy, now, 0.9)).toBe(7000);
    // A date past, or "0": at least the first backoff bound, so a receiver cannot make us spin.
    expect(retryDelayMs(1, "Wed, 25 Nov 2026 11:00:00 GMT", policy, now, 0.9)).toBe(500);
    expect(retryDelayMs(1, "0", policy, now, 0.9)).toBe(500);
    expect(retryDelayMs(1, "3600", policy, now, 0.9)).toBe(30_000);
  });

  it("fall back to full-jitter exponential backoff without a readable Retry-After", () => {
    expect(retryDelayMs(1, null, policy, now, 0.5)).toBe(250);
    expect(retryDelayMs(3, null, policy, now, 0.5)).toBe(1000);
    expect(retryDelayMs(3, "soon", policy, now, 0.999)).toBe(1998);
    expect(retryDelayMs(20, null, policy, now, 0.999)).toBe(29_970);
    expect(retryDelayMs(4, null, policy, now, 0)).toBe(0);
  });

  it("reads delay-seconds and dates, and nothing else", () => {
    expect(retryDelayMs(1, " 10 ", policy, now, 0.5)).toBe(10_000);
    expect(retryDelayMs(1, "Wednesday, 25-Nov-26 12:00:07 GMT", policy, now, 0.5)).toBe(7000);
    // Unreadable: the backoff's 250 ms instead.
    expect(retryDelayMs(1, "-1", policy, now, 0.5)).toBe(250);
    expect(retryDelayMs(1, "1.5", policy, now, 0.5)).toBe(250);
  });

  it("retry timeouts, throttling and server errors; not other client errors", () => {
    expect([408, 425, 429, 500, 502, 503].map(isRetryableStatus)).toEqual([true, true, true, true, true, true]);
    expect([400, 401, 404, 410, 413, 422].map(isRetryableStatus)).toEqual([false, false, false, false, false, false]);
  });
});
