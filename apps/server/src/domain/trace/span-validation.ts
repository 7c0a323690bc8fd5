// Checks on the shape of a span's parts that every command naming a span
// applies the same way: W3C ids, attribute keys, links.

import { SpanEndReason, SpanKind, StatusCode, type AnyValue, type KeyValue, type SpanLink } from "@traceledger/proto";
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
    if (kv.value && hasEmptyNestedKey(kv.value)) {
      return traceError("invalid_argument", "INVALID_ATTRIBUTE", `attribute ${kv.key} holds a map with an empty key`, { span_id: spanId, key: kv.key });
    }
  }
  return undefined;
}

/** Keys of maps inside a value (at any depth, arrays included) must not be empty either. */
function hasEmptyNestedKey(value: AnyValue): boolean {
  const v = value.value;
  if (v.case === "kvlistValue") return v.value.values.some((kv) => kv.key === "" || (kv.value !== undefined && hasEmptyNestedKey(kv.value)));
  if (v.case === "arrayValue") return v.value.values.some(hasEmptyNestedKey);
  return false;
}

export function linkProblem(links: readonly SpanLink[], spanId: string): TraceError | undefined {
  for (const link of links) {
    if (!isValidTraceId(bytesToHex(link.traceId)) || !isValidSpanId(bytesToHex(link.spanId))) {
      return traceError("invalid_argument", "INVALID_SPAN_ID", "a link must name a valid trace id (16 bytes) and span id (8 bytes)", { span_id: spanId });
    }
    const attributes = attributeProblem(link.attributes, spanId);
    if (attributes) return attributes;
  }
  return undefined;
}

/** A kind the contract defines (an enum past its values would be stored and shown as a number nobody defined). */
export function kindProblem(kind: number, spanId: string): TraceError | undefined {
  if (Number.isInteger(kind) && kind >= SpanKind.UNSPECIFIED && kind <= SpanKind.CONSUMER) return undefined;
  return traceError("invalid_argument", "INVALID_SPAN_KIND", `span kind ${kind} is not one of the contract's (0-5)`, { span_id: spanId, kind: String(kind) });
}

export function statusCodeProblem(code: number, spanId: string): TraceError | undefined {
  if (Number.isInteger(code) && code >= StatusCode.UNSPECIFIED && code <= StatusCode.ERROR) return undefined;
  return traceError("invalid_argument", "INVALID_STATUS_CODE", `status code ${code} is not one of the contract's (0-2)`, { span_id: spanId, status_code: String(code) });
}

/** A client may end a span as completed or cancelled; ORPHANED is what traceledger itself records when it closes one. */
export function endReasonProblem(reason: number, spanId: string): TraceError | undefined {
  if (reason === SpanEndReason.UNSPECIFIED || reason === SpanEndReason.COMPLETED || reason === SpanEndReason.CANCELLED) return undefined;
  const message = reason === SpanEndReason.ORPHANED ? "only traceledger ends a span as ORPHANED" : `end reason ${reason} is not one of the contract's`;
  return traceError("invalid_argument", "INVALID_END_REASON", message, { span_id: spanId, end_reason: String(reason) });
}
