// Where a request's ids come from: the request's bytes, its traceparent, a
// hash of its request_id (so a retry without client-chosen ids still finds the
// same span), or fresh random ids.

import { createHash, randomBytes } from "node:crypto";
import { parseTraceparent, type Traceparent } from "../domain/trace/traceparent.js";
import { isTraceError, traceError, type TraceError } from "../domain/trace/trace-error.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";

interface SpanRef {
  readonly traceId: string;
  readonly spanId: string;
}

interface NamesSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly traceparent: string;
}

/** A span named by trace_id + span_id, or by its own traceparent. */
export function spanRef(request: NamesSpan): SpanRef | TraceError {
  if (request.traceparent === "") {
    if (request.traceId.length === 0) return traceError("invalid_argument", "INVALID_TRACE_ID", "trace_id or traceparent is required");
    if (request.spanId.length === 0) return traceError("invalid_argument", "INVALID_SPAN_ID", "span_id or traceparent is required");
    return { traceId: bytesToHex(request.traceId), spanId: bytesToHex(request.spanId) };
  }
  const parsed = fromTraceparent(request.traceparent, bytesToHex(request.traceId), { field: "span_id", hex: bytesToHex(request.spanId) });
  return isTraceError(parsed) ? parsed : { traceId: parsed.traceId, spanId: parsed.spanId };
}

/**
 * A traceparent's ids, checked against the ids the request also gave: a
 * request may repeat them, but not contradict them.
 */
export function fromTraceparent(
  traceparent: string,
  traceIdHex: string,
  span: { field: "span_id" | "parent_span_id"; hex: string },
): Traceparent | TraceError {
  const parsed = parseTraceparent(traceparent);
  if (!parsed.ok) return traceError("invalid_argument", "INVALID_TRACEPARENT", parsed.problem, { traceparent });
  if (traceIdHex !== "" && traceIdHex !== parsed.value.traceId) {
    return traceError("invalid_argument", "INVALID_TRACEPARENT", "trace_id and traceparent name different traces", { traceparent, trace_id: traceIdHex });
  }
  if (span.hex !== "" && span.hex !== parsed.value.spanId) {
    return traceError("invalid_argument", "INVALID_TRACEPARENT", `${span.field} and traceparent name different spans`, { traceparent, [span.field]: span.hex });
  }
  return parsed.value;
}

/** A trace id for a new trace: derived from request_id when given, else random. */
export function newTraceId(requestId: string): string {
  return requestId ? derived(`trace\u0000${requestId}`, 16) : random(16);
}

/** A span id for a new span: derived from the trace and request_id when given, else random. */
export function newSpanId(traceId: string, requestId: string): string {
  return requestId ? derived(`span\u0000${traceId}\u0000${requestId}`, 8) : random(8);
}

function derived(seed: string, bytes: number): string {
  const hex = createHash("sha256").update(seed).digest("hex").slice(0, bytes * 2);
  return /^0+$/.test(hex) ? random(bytes) : hex;
}

function random(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString("hex");
    if (!/^0+$/.test(hex)) return hex;
  }
}
