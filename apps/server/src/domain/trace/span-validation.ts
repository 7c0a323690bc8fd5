// Checks on the shape of a span's parts that every command naming a span
// applies the same way: W3C ids, attribute keys, links.

import type { KeyValue, SpanLink } from "@traceledger/proto";
import { traceError, type TraceError } from "./trace-error.js";
import { bytesToHex, isValidSpanId, isValidTraceId } from "./w3c-ids.js";

/** The latest time the log holds (int8 nanoseconds: 2262-04-11). The contract's fixed64 times go further. */
export const MAX_TIME_UNIX_NANO = (1n << 63n) - 1n;

export function spanIdProblem(spanId: string, reason: "INVALID_SPAN_ID" | "INVALID_PARENT_SPAN_ID", what: string): TraceError | undefined {
  if (isValidSpanId(spanId)) return undefined;
  return traceError("invalid_argument", reason, `${what} "${spanId}" is not 16 lowercase hex characters, not all zero`, { [what.replaceAll(" ", "_")]: spanId });
}

export function attributeProblem(attributes: readonly KeyValue[], spanId: string): TraceError | undefined {
  for (const kv of attributes) {
    if (kv.key === "") return traceError("invalid_argument", "INVALID_ATTRIBUTE", "attribute keys must not be empty", { span_id: spanId });
  }
  return undefined;
}

export function linkProblem(links: readonly SpanLink[], spanId: string): TraceError | undefined {
  for (const link of links) {
    if (!isValidTraceId(bytesToHex(link.traceId)) || !isValidSpanId(bytesToHex(link.spanId))) {
      return traceError("invalid_argument", "INVALID_SPAN_ID", "a link must name a valid trace id (16 bytes) and span id (8 bytes)", { span_id: spanId });
    }
  }
  return undefined;
}
