// W3C Trace Context and Baggage propagation: inject writes the active (or given)
// span's `traceparent` (version 00) and `tracestate`, and the baggage; extract
// reads them back. The same functions serve HTTP headers and a job's metadata
// object, so a job continues the trace of the code that queued it.
//
// Extraction follows the spec: a missing, repeated or invalid traceparent yields
// no parent (and tracestate is then not read); an invalid tracestate is dropped
// without affecting the traceparent; header lines of tracestate and baggage are
// combined in order.

import { getActiveBaggage, getActiveSpan } from "../context/active-context.js";
import type { Span } from "../trace/span.js";
import { Baggage } from "../w3c/baggage.js";
import { isValidSpanContext, type SpanContext } from "../w3c/span-context.js";
import { TraceState } from "../w3c/trace-state.js";
import { formatTraceparent, parseTraceparent } from "../w3c/traceparent.js";
import { deleteField, readField, writeField, type Carrier } from "./carrier.js";
import type { PropagatedContext } from "./propagated-context.js";

export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";
export const BAGGAGE = "baggage";

export interface InjectOptions {
  /** The span (or span context) to propagate. Default: the active span. */
  readonly span?: Span | SpanContext;
  /** The baggage to propagate. Default: the active baggage. */
  readonly baggage?: Baggage;
}

/**
 * Writes traceparent, tracestate and baggage into `carrier` (headers or a metadata object).
 * With a span to propagate, a tracestate or baggage the carrier already holds is removed
 * when the context has none; with no span, only a baggage is written and nothing removed.
 * Never throws: a missing carrier, or one that refuses the writes (frozen, headers already
 * sent), is left as it is; tracing must not fail the message it rides on.
 */
export function injectContext(carrier: Carrier | null | undefined, options: InjectOptions = {}): void {
  if ((typeof carrier !== "object" && typeof carrier !== "function") || carrier === null) return;
  try {
    injectInto(carrier, options);
  } catch {
    // Left as it is: see above.
  }
}

function injectInto(carrier: Carrier, options: InjectOptions): void {
  const span = options.span ?? getActiveSpan();
  const context = span === undefined ? undefined : "spanContext" in span && typeof span.spanContext === "function" ? span.spanContext() : (span as SpanContext);
  const baggage = options.baggage ?? getActiveBaggage();
  const baggageValue = baggage !== undefined && baggage.size > 0 ? baggage.serialize() : "";
  if (isValidSpanContext(context)) {
    // The carrier now carries this context: a tracestate or baggage already in it
    // (headers being forwarded, a reused object) belongs to another one.
    writeField(carrier, TRACEPARENT, formatTraceparent(context));
    const state = context.traceState?.serialize();
    if (state) writeField(carrier, TRACESTATE, state);
    else deleteField(carrier, TRACESTATE);
    if (baggageValue === "") deleteField(carrier, BAGGAGE);
  }
  if (baggageValue !== "") writeField(carrier, BAGGAGE, baggageValue);
}

/**
 * Reads the caller's context from `carrier`. Never throws: a missing carrier
 * (undefined, null, not an object) or one that fails to be read yields the empty context.
 */
export function extractContext(carrier: Carrier | null | undefined): PropagatedContext {
  if ((typeof carrier !== "object" && typeof carrier !== "function") || carrier === null) return {};
  try {
    return extractFrom(carrier);
  } catch {
    return {};
  }
}

function extractFrom(carrier: Carrier): PropagatedContext {
  let spanContext: SpanContext | undefined;
  const parents = readField(carrier, TRACEPARENT);
  if (parents.length === 1) {
    const parent = parseTraceparent(parents[0]!);
    if (parent.ok) {
      const states = readField(carrier, TRACESTATE);
      const state = states.length > 0 ? TraceState.parse(states) : undefined;
      spanContext = {
        traceId: parent.value.traceId,
        spanId: parent.value.spanId,
        traceFlags: parent.value.traceFlags,
        isRemote: true,
        ...(state?.ok && state.value.size > 0 ? { traceState: state.value } : {}),
      };
    }
  }
  const lines = readField(carrier, BAGGAGE);
  const baggage = lines.length > 0 ? Baggage.parse(lines) : undefined;
  return {
    ...(spanContext ? { spanContext } : {}),
    ...(baggage && baggage.size > 0 ? { baggage } : {}),
  };
}
