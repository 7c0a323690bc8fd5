import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./retry-after.js";

const NOW = Date.parse("2026-11-25T12:00:00Z");

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("0", NOW)).toBe(0);
    expect(parseRetryAfter(" 30 ", NOW)).toBe(30_000);
  });

  it("reads an HTTP date as the time left until it", () => {
    expect(parseRetryAfter("Wed, 25 Nov 2026 12:00:07 GMT", NOW)).toBe(7000);
    expect(parseRetryAfter("Wednesday, 25-Nov-26 12:01:00 GMT", NOW)).toBe(60_000);
  });

  it("reads asctime's form, which names no zone, as GMT whatever the machine's time zone", () => {
    const zone = process.env.TZ;
    try {
      for (const tz of ["UTC", "America/New_York", "Asia/Tokyo"]) {
        process.env.TZ = tz;
        expect(parseRetryAfter("Wed Nov 25 12:02:00 2026", NOW), tz).toBe(120_000);
        expect(parseRetryAfter("Wed Nov  4 12:00:00 2026", Date.parse("2026-11-04T11:59:59Z")), tz).toBe(1000);
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("makes a date in the past a wait of zero", () => {
    expect(parseRetryAfter("Wed, 25 Nov 2026 11:59:00 GMT", NOW)).toBe(0);
  });

  it.each([null, undefined, "", "soon", "-5", "1.5", "12abc"])("ignores %j", (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});
