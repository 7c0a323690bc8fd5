import { describe, expect, it } from "vitest";
import { formatTraceparent, parseTraceparent } from "./traceparent.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("W3C traceparent", () => {
  it("parses version 00 with any flags", () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ ok: true, value: { traceId: TRACE, spanId: SPAN, flags: 1 } });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-ff`)).toMatchObject({ ok: true, value: { flags: 255 } });
  });

  it("parses a later version by its first four fields, ignoring what follows", () => {
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`)).toMatchObject({ ok: true, value: { traceId: TRACE } });
  });

  it("ignores spaces and tabs around the value (HTTP's optional whitespace)", () => {
    expect(parseTraceparent(` \t00-${TRACE}-${SPAN}-01\t `)).toMatchObject({ ok: true, value: { traceId: TRACE } });
  });

  it.each([
    ["version ff", `ff-${TRACE}-${SPAN}-01`],
    ["version 00 with extra fields", `00-${TRACE}-${SPAN}-01-extra`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${SPAN}-01`],
    ["an all-zero parent id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["uppercase hex", `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ["a short trace id", `00-${TRACE.slice(1)}-${SPAN}-01`],
    ["a wrong separator", `00_${TRACE}-${SPAN}-01`],
    ["line breaks around the value (not optional whitespace)", `\n00-${TRACE}-${SPAN}-01\r\n`],
    ["a no-break space before the value", `\u00a000-${TRACE}-${SPAN}-01`],
    ["a byte order mark before the value", `\ufeff00-${TRACE}-${SPAN}-01`],
    ["a repeated later-version header joined by a comma", `cc-${TRACE}-${SPAN}-01-x, cc-${TRACE}-${SPAN}-01-y`],
    ["nothing", ""],
  ])("rejects %s", (_, header) => {
    const parsed = parseTraceparent(header);
    expect(parsed.ok).toBe(false);
  });

  it("formats version 00 with two-digit flags", () => {
    expect(formatTraceparent(TRACE, SPAN, 1)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(parseTraceparent(formatTraceparent(TRACE, SPAN, 0))).toMatchObject({ ok: true, value: { flags: 0 } });
  });

  it("formats the sampled and random trace-id flags (Level 2) only: the reserved flags a parent sent are written as zero", () => {
    expect(formatTraceparent(TRACE, SPAN, 0xff)).toBe(`00-${TRACE}-${SPAN}-03`);
    expect(formatTraceparent(TRACE, SPAN, 0xfe)).toBe(`00-${TRACE}-${SPAN}-02`);
    expect(formatTraceparent(TRACE, SPAN, 0xfc)).toBe(`00-${TRACE}-${SPAN}-00`);
  });
});
