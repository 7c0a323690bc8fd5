// Every traceparent form the W3C Trace Context specification and its test suite
// (w3c/trace-context test/test.py) name, valid and invalid.

import { describe, expect, it } from "vitest";
import { formatTraceparent, parseTraceparent } from "./traceparent.js";

const TRACE = "12345678901234567890123456789012";
const SPAN = "1234567890123456";

describe("parseTraceparent accepts", () => {
  it.each([
    ["the spec's sampled example", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", { version: 0, traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1 }],
    ["the spec's unsampled example", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", { version: 0, traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 0 }],
    ["any flags value (reserved bits kept as received)", `00-${TRACE}-${SPAN}-ff`, { version: 0, traceId: TRACE, spanId: SPAN, traceFlags: 0xff }],
    ["flags 09: sampled plus a reserved bit", `00-${TRACE}-${SPAN}-09`, { version: 0, traceId: TRACE, spanId: SPAN, traceFlags: 9 }],
    ["leading space (OWS)", ` 00-${TRACE}-${SPAN}-01`, { version: 0, traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ["leading tab (OWS)", `\t00-${TRACE}-${SPAN}-01`, { version: 0, traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ["trailing space (OWS)", `00-${TRACE}-${SPAN}-01 `, { version: 0, traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ["trailing tab (OWS)", `00-${TRACE}-${SPAN}-01\t`, { version: 0, traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ["mixed OWS on both sides", `\t 00-${TRACE}-${SPAN}-01 \t`, { version: 0, traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ["a future version with exactly four fields", `cc-${TRACE}-${SPAN}-01`, { version: 0xcc, traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ["a future version with more fields after '-'", `cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like`, { version: 0xcc, traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ["version fe (the highest allowed)", `fe-${TRACE}-${SPAN}-00`, { version: 0xfe, traceId: TRACE, spanId: SPAN, traceFlags: 0 }],
  ])("%s", (_, header, expected) => {
    expect(parseTraceparent(header)).toEqual({ ok: true, value: expected });
  });
});

describe("parseTraceparent refuses", () => {
  it.each([
    ["version 00 with trailing characters", `00-${TRACE}-${SPAN}-01.`],
    ["version 00 with more fields", `00-${TRACE}-${SPAN}-01-what-the-future-will-be-like`],
    ["a future version with extra data not after '-'", `cc-${TRACE}-${SPAN}-01.what-the-future-will-be-like`],
    ["version ff (forbidden)", `ff-${TRACE}-${SPAN}-01`],
    ["an illegal character in the version (first)", `.0-${TRACE}-${SPAN}-01`],
    ["an illegal character in the version (second)", `0.-${TRACE}-${SPAN}-01`],
    ["a version of three characters", `000-${TRACE}-${SPAN}-01`],
    ["a version of four characters", `0000-${TRACE}-${SPAN}-01`],
    ["a version of one character", `0-${TRACE}-${SPAN}-01`],
    ["an uppercase version", `0A-${TRACE}-${SPAN}-01`],
    ["an all-zero trace-id", `00-00000000000000000000000000000000-${SPAN}-01`],
    ["an illegal character at the start of the trace-id", `00-.2345678901234567890123456789012-${SPAN}-01`],
    ["an illegal character at the end of the trace-id", `00-1234567890123456789012345678901.-${SPAN}-01`],
    ["an uppercase trace-id", `00-4BF92F3577B34DA6A3CE929D0E0E4736-${SPAN}-01`],
    ["a trace-id of 33 characters", `00-123456789012345678901234567890123-${SPAN}-01`],
    ["a trace-id of 31 characters", `00-1234567890123456789012345678901-${SPAN}-01`],
    ["an all-zero parent-id", `00-${TRACE}-0000000000000000-01`],
    ["an illegal character at the start of the parent-id", `00-${TRACE}-.234567890123456-01`],
    ["an illegal character at the end of the parent-id", `00-${TRACE}-123456789012345.-01`],
    ["an uppercase parent-id", `00-${TRACE}-00F067AA0BA902B7-01`],
    ["a parent-id of 17 characters", `00-${TRACE}-12345678901234567-01`],
    ["a parent-id of 15 characters", `00-${TRACE}-123456789012345-01`],
    ["an illegal character at the start of the flags", `00-${TRACE}-${SPAN}-.0`],
    ["an illegal character at the end of the flags", `00-${TRACE}-${SPAN}-0.`],
    ["uppercase flags", `00-${TRACE}-${SPAN}-0A`],
    ["flags of three characters", `00-${TRACE}-${SPAN}-001`],
    ["flags of one character", `00-${TRACE}-${SPAN}-1`],
    ["'_' instead of '-' between fields", `00_${TRACE}_${SPAN}_01`],
    ["a missing separator after the trace-id", `00-${TRACE}${SPAN}-01-0`],
    ["two traceparents joined by a comma", `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`],
    ["two future-version traceparents joined by a comma", `cc-${TRACE}-${SPAN}-01-x, cc-${TRACE}-${SPAN}-01-y`],
    ["a future version joined to a version 00 by a comma", `cc-${TRACE}-${SPAN}-01-,00-${TRACE}-${SPAN}-01`],
    ["an empty value", ""],
    ["only whitespace", " \t "],
    ["a future version shorter than 55 characters", `cc-${TRACE}-${SPAN}-1`],
    ["a future version with an all-zero trace-id", `cc-00000000000000000000000000000000-${SPAN}-01`],
  ])("%s", (_, header) => {
    expect(parseTraceparent(header).ok).toBe(false);
  });
});

describe("formatTraceparent", () => {
  it("writes version 00 with two-digit flags, sampled and Level 2's random trace-id kept, the reserved bits zero whatever arrived", () => {
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 1 })).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0 })).toBe(`00-${TRACE}-${SPAN}-00`);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 3 })).toBe(`00-${TRACE}-${SPAN}-03`);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0xab })).toBe(`00-${TRACE}-${SPAN}-03`);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0xfe })).toBe(`00-${TRACE}-${SPAN}-02`);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0xfc })).toBe(`00-${TRACE}-${SPAN}-00`);
  });

  it("refuses ids that could not be parsed back", () => {
    expect(() => formatTraceparent({ traceId: "0".repeat(32), spanId: SPAN, traceFlags: 1 })).toThrow(TypeError);
    expect(() => formatTraceparent({ traceId: TRACE, spanId: "XYZ", traceFlags: 1 })).toThrow(TypeError);
  });

  it("round-trips through parseTraceparent", () => {
    const header = formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    expect(parseTraceparent(header)).toEqual({ ok: true, value: { version: 0, traceId: TRACE, spanId: SPAN, traceFlags: 1 } });
  });
});
