// Checks on the shape of a span's parts that every command naming a span
// applies the same way: W3C ids, attribute keys, links.

import { SpanEndReason, SpanKind, StatusCode, type AnyValue, type KeyValue, type SpanLink } from "@traceledger/proto";
import { hexReadAsBase64Hint } from "./hex-read-as-base64.js";
import { traceError, type TraceError } from "./trace-error.js";
import { bytesToHex, isValidSpanId, isValidTraceId } from "./w3c-ids.js";

/** The latest time the log holds (int8 nanoseconds: 2262-04-11). The contract's fixed64 times go further. */
export const MAX_TIME_UNIX_NANO = (1n << 63n) - 1n;

/**
 * How deep arrays and maps may nest inside an attribute value (a scalar is at
 * depth 1). Each level is two messages on the wire, and common protobuf decoders
 * stop at 100 nested messages: every reader of the stored events must decode them.
 */
export const MAX_ATTRIBUTE_DEPTH = 32;

export function traceIdProblem(traceId: string): TraceError | undefined {
  if (isValidTraceId(traceId)) return undefined;
  return traceError("invalid_argument", "INVALID_TRACE_ID", `trace id "${traceId}" is not 32 lowercase hex characters, not all zero${hexReadAsBase64Hint(traceId, 16)}`, {
    trace_id: traceId,
  });
}

export function spanIdProblem(spanId: string, reason: "INVALID_SPAN_ID" | "INVALID_PARENT_SPAN_ID", what: string): TraceError | undefined {
  if (isValidSpanId(spanId)) return undefined;
  return traceError("invalid_argument", reason, `${what} "${spanId}" is not 16 lowercase hex characters, not all zero${hexReadAsBase64Hint(spanId, 8)}`, {
    [what.replaceAll(" ", "_")]: spanId,
  });
}

export function attributeProblem(attributes: readonly KeyValue[], spanId: string): TraceError | undefined {
  for (const kv of attributes) {
    if (kv.key === "") return traceError("invalid_argument", "INVALID_ATTRIBUTE", "attribute keys must not be empty", { span_id: spanId });
    const problem = kv.value === undefined ? undefined : valueProblem(kv.value, 1);
    if (problem === "empty key") {
      return traceError("invalid_argument", "INVALID_ATTRIBUTE", `attribute ${kv.key} holds a map with an empty key`, { span_id: spanId, key: kv.key });
    }
    if (problem === "too deep") {
      return traceError("invalid_argument", "INVALID_ATTRIBUTE", `attribute ${kv.key} nests arrays and maps more than ${MAX_ATTRIBUTE_DEPTH} levels deep`, {
        span_id: spanId,
        key: kv.key,
        max_depth: String(MAX_ATTRIBUTE_DEPTH),
      });
    }
  }
  return undefined;
}

/** Keys of maps inside a value (at any depth, arrays included) must not be empty either; nor may it nest too deep. */
function valueProblem(value: AnyValue, depth: number): "empty key" | "too deep" | undefined {
  if (depth > MAX_ATTRIBUTE_DEPTH) return "too deep";
  const v = value.value;
  if (v.case === "kvlistValue") {
    for (const kv of v.value.values) {
      if (kv.key === "") return "empty key";
      const problem = kv.value === undefined ? undefined : valueProblem(kv.value, depth + 1);
      if (problem) return problem;
    }
  } else if (v.case === "arrayValue") {
    for (const item of v.value.values) {
      const problem = valueProblem(item, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * A link names a span by a valid trace id and span id, or by an invalid span
 * context (an id empty or all zero) that still carries attributes or a
 * tracestate: OpenTelemetry's SDKs record such links (the API says they
 * SHOULD), so refusing them would lose the span. Ids of other lengths are refused.
 */
export function linkProblem(links: readonly SpanLink[], spanId: string): TraceError | undefined {
  for (const link of links) {
    const valid = isValidTraceId(bytesToHex(link.traceId)) && isValidSpanId(bytesToHex(link.spanId));
    const invalidContext = isIdLength(link.traceId, 16) && isIdLength(link.spanId, 8) && (link.attributes.length > 0 || link.tracestate !== "");
    if (!valid && !invalidContext) {
      return traceError("invalid_argument", "INVALID_SPAN_ID", "a link must name a valid trace id (16 bytes) and span id (8 bytes), or carry attributes or a tracestate", { span_id: spanId });
    }
    const attributes = attributeProblem(link.attributes, spanId);
    if (attributes) return attributes;
  }
  return undefined;
}

/** Empty, or of the id's length (all zero, or one id valid and the other not): an invalid context, but well formed. */
function isIdLength(id: Uint8Array, length: number): boolean {
  return id.length === 0 || id.length === length;
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
