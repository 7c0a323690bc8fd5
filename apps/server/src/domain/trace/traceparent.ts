// The W3C traceparent header: version-traceid-parentid-flags. Version 00 is
// parsed strictly; a later version is parsed by its first four fields as the
// specification asks, and ff is never valid. Formatting writes version 00 with
// the flags Trace Context Level 2 defines, sampled and random trace-id; the
// others are reserved and sent as zero.

import { isValidSpanId, isValidTraceId } from "./w3c-ids.js";

export interface Traceparent {
  readonly traceId: string;
  readonly spanId: string;
  /** The trace flags byte; bit 0 is "sampled", bit 1 "random trace-id". */
  readonly flags: number;
}

type TraceparentParse = { ok: true; value: Traceparent } | { ok: false; problem: string };

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const LATER_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
// Only HTTP's optional whitespace (space, tab), not every character String#trim removes
// (line breaks, no-break spaces, BOMs), which make a value no traceparent.
const OWS = /^[ \t]+|[ \t]+$/g;

export const TraceFlag = {
  SAMPLED: 0x01,
  /** Level 2: at least the right-most 7 bytes of the trace id were picked at random; kept for the whole trace. */
  RANDOM_TRACE_ID: 0x02,
} as const;

/** The flags a traceparent carries on; the others are reserved and sent as zero, as the spec says. */
const KNOWN_FLAGS = TraceFlag.SAMPLED | TraceFlag.RANDOM_TRACE_ID;

export function parseTraceparent(header: string): TraceparentParse {
  const value = header.replace(OWS, "");
  let traceId: string;
  let spanId: string;
  let flags: string;
  const v00 = VERSION_00.exec(value);
  if (v00) {
    [, traceId = "", spanId = "", flags = ""] = v00;
  } else {
    const later = LATER_VERSION.exec(value);
    // A later version's tail is not interpreted, but a "," in it can only come from a
    // repeated header whose lines were joined (node's req.headers): traceparent is no list.
    if (!later || later[1] === "00" || value.includes(",")) return { ok: false, problem: `"${header}" is not a W3C traceparent (version-traceid-spanid-flags in lowercase hex)` };
    if (later[1] === "ff") return { ok: false, problem: "traceparent version ff is invalid" };
    [, , traceId = "", spanId = "", flags = ""] = later;
  }
  if (!isValidTraceId(traceId)) return { ok: false, problem: "traceparent trace id is all zeros" };
  if (!isValidSpanId(spanId)) return { ok: false, problem: "traceparent parent id is all zeros" };
  return { ok: true, value: { traceId, spanId, flags: parseInt(flags, 16) } };
}

export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${(flags & KNOWN_FLAGS).toString(16).padStart(2, "0")}`;
}
