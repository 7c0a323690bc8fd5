// The W3C `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header):
//
//   value          = version "-" version-format
//   version        = 2HEXDIGLC            ; "ff" is forbidden
//   version-format = trace-id "-" parent-id "-" trace-flags   (version 00)
//   trace-id       = 32HEXDIGLC            ; not all zero
//   parent-id      = 16HEXDIGLC            ; not all zero
//   trace-flags    = 2HEXDIGLC
//
// Version 00 must be exactly these 55 characters. A higher version is parsed by
// its first four fields, which must be followed by the end of the value or by a
// "-" (the spec's "Versioning of traceparent"); what follows is not interpreted,
// except that it may hold no "," (the mark of a repeated header).
// Surrounding spaces and tabs are optional whitespace of the header field.
// We always send version 00.

import { parsed, refused, type ParseResult } from "./parse-result.js";
import { isValidSpanId, isValidTraceId, TraceFlags, type SpanContext } from "./span-context.js";

export interface Traceparent {
  /** The version byte the value was sent with (0 for "00"). */
  readonly version: number;
  readonly traceId: string;
  /** The parent-id field: the span id of the caller. */
  readonly spanId: string;
  /** The whole trace-flags byte, as received. */
  readonly traceFlags: number;
}

const VERSION_00_LENGTH = 55;
const HEX_LC = /^[0-9a-f]+$/;

export function parseTraceparent(header: string): ParseResult<Traceparent> {
  const value = trimOws(header);
  if (value.length < VERSION_00_LENGTH) return refused(`a traceparent has at least ${VERSION_00_LENGTH} characters, got ${value.length}`);
  const version = value.slice(0, 2);
  if (!HEX_LC.test(version) || value[2] !== "-") return refused("the version must be 2 lowercase hex characters followed by '-'");
  if (version === "ff") return refused("version ff is forbidden");
  if (version === "00" && value.length !== VERSION_00_LENGTH) {
    return refused(`a version 00 traceparent is exactly ${VERSION_00_LENGTH} characters, got ${value.length}`);
  }
  if (value.length > VERSION_00_LENGTH && value[VERSION_00_LENGTH] !== "-") {
    return refused("fields after trace-flags must be separated by '-'");
  }
  // traceparent is not a list, so a comma can only come from a repeated header whose
  // lines were joined (node's `req.headers`, node:http2, Fetch `Headers.get`). Version
  // 00's exact length already refuses that; a higher version's open tail would not.
  if (value.includes(",", VERSION_00_LENGTH)) return refused("a traceparent holds no ',': the header was repeated");
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!HEX_LC.test(traceId) || value[35] !== "-") return refused("the trace-id must be 32 lowercase hex characters followed by '-'");
  if (!HEX_LC.test(spanId) || value[52] !== "-") return refused("the parent-id must be 16 lowercase hex characters followed by '-'");
  if (!HEX_LC.test(flags)) return refused("the trace-flags must be 2 lowercase hex characters");
  if (!isValidTraceId(traceId)) return refused("the trace-id must not be all zero");
  if (!isValidSpanId(spanId)) return refused("the parent-id must not be all zero");
  return parsed({ version: parseInt(version, 16), traceId, spanId, traceFlags: parseInt(flags, 16) });
}

/** Formats a version 00 traceparent. Throws on invalid ids: that is a programming error. */
export function formatTraceparent(context: Pick<SpanContext, "traceId" | "spanId" | "traceFlags">): string {
  if (!isValidTraceId(context.traceId)) throw new TypeError(`invalid trace id ${JSON.stringify(context.traceId)}`);
  if (!isValidSpanId(context.spanId)) throw new TypeError(`invalid span id ${JSON.stringify(context.spanId)}`);
  // Only the bits this SDK understands: the spec has the others sent as zero, whatever arrived.
  const flags = context.traceFlags & (TraceFlags.SAMPLED | TraceFlags.RANDOM_TRACE_ID);
  return `00-${context.traceId}-${context.spanId}-${flags < 16 ? "0" : ""}${flags.toString(16)}`;
}

/** Removes the optional whitespace (spaces and horizontal tabs) around a header field value. */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === " " || value[start] === "\t")) start++;
  while (end > start && (value[end - 1] === " " || value[end - 1] === "\t")) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
