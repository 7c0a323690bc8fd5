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

  it("makes a date in the past a wait of zero", () => {
    expect(parseRetryAfter("Wed, 25 Nov 2026 11:59:00 GMT", NOW)).toBe(0);
  });

  it.each([null, undefined, "", "soon", "-5", "1.5", "12abc"])("ignores %j", (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});
