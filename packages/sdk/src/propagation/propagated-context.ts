// What a propagator extracts from a carrier: the caller's span context (if the
// traceparent was valid) and its baggage. Pass it as `parent` to continue the
// trace.

import type { Baggage } from "../w3c/baggage.js";
import type { SpanContext } from "../w3c/span-context.js";

export interface PropagatedContext {
  /** The remote parent; absent when the carrier had no valid traceparent. */
  readonly spanContext?: SpanContext;
  readonly baggage?: Baggage;
}
