// A ResourceSpans' resource and a ScopeSpans' scope are sent once but stored
// with each of their spans (every SpanStarted carries them, so that a span is
// read and exported whole). A request within TRACELEDGER_MAX_MESSAGE_BYTES
// could otherwise store and build thousands of times its size: one 128 KiB
// resource over 500 spans is 65 MB of events. What a request stores this way
// (resource and scope bytes, schema URLs included, as encoded, times their
// spans, summed over the request) is held to a budget, and a request past it
// is refused whole, as too large, before anything of it is decided.

import { DEFAULT_MAX_MESSAGE_BYTES } from "../rpc/transport/message-limits.js";

/** The budget, in multiples of TRACELEDGER_MAX_MESSAGE_BYTES. */
export const EXPANSION_FACTOR = 4;

/**
 * The budget's floor: a stock exporter's batch (512 spans) may carry 32 KiB of
 * resource and scope whatever the message limit; ordinary ones carry a few KiB.
 */
export const MIN_EXPANDED_BYTES = 16 * 1024 * 1024;

export function expandedBytesBudget(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): number {
  return Math.max(MIN_EXPANDED_BYTES, EXPANSION_FACTOR * maxMessageBytes);
}

/** Thrown by the reader when a request's resources and scopes, copied into its spans, pass the budget. */
export class ExpansionTooLarge extends Error {
  constructor(
    /** The resource and scope bytes each span of the ScopeSpans that passed the budget carries. */
    readonly sharedBytes: number,
    /** Its spans. */
    readonly spans: number,
    readonly budget: number,
  ) {
    super(
      `the request's resource and scope are stored with each of its spans, more than ${budget} bytes in all ` +
        `(${EXPANSION_FACTOR} x TRACELEDGER_MAX_MESSAGE_BYTES, at least ${MIN_EXPANDED_BYTES}): ${sharedBytes} bytes with each of ${spans} spans of one scope; ` +
        `send fewer spans per request, or a smaller resource`,
    );
    this.name = "ExpansionTooLarge";
  }
}
