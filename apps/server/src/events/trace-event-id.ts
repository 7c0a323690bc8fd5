// The id the store keeps for a trace event: deriveEventId(traceId,
// eventIdentity(event, bytesToHex)). Every ingested event takes this path, so
// the common identities (the trace's start, a span's start and end, the first
// completion) are written byte by byte into SHA-1's input, the span id as hex
// straight from its bytes, instead of being built as three strings first. The
// others (client-chosen ids, late completions) take the general path. A unit
// test checks that both give the same id for every event type.

import { eventIdentity, type TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { deriveEventId, uuidOfDigest } from "./event-id.js";
import { SHA1_MAX_INPUT, sha1Input, sha1OfInput } from "./sha1-ascii.js";

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
// The identities' fixed parts, as eventIdentity (domain/trace/trace-event.ts) spells them.
const TRACE_STARTED = ascii("trace-started");
const SPAN_STARTED = ascii("span-started:");
const SPAN_ENDED = ascii("span-ended:");
const TRACE_COMPLETED = ascii("trace-completed");
const HEX_DIGITS = ascii("0123456789abcdef");
const NO_SPAN = new Uint8Array(0);

export function traceEventId(traceId: string, event: TraceEventCase): string {
  let id: string | undefined;
  switch (event.case) {
    case "traceStarted":
      id = written(traceId, TRACE_STARTED, NO_SPAN);
      break;
    case "spanStarted":
      id = written(traceId, SPAN_STARTED, event.value.spanId);
      break;
    case "spanEnded":
    case "spanOrphaned":
      id = written(traceId, SPAN_ENDED, event.value.spanId);
      break;
    case "traceCompleted":
      if (event.value.lateSpanCount === 0) id = written(traceId, TRACE_COMPLETED, NO_SPAN);
      break;
    default:
      break;
  }
  return id ?? deriveEventId(traceId, eventIdentity(event, bytesToHex));
}

/** The id of `traceId` NUL `prefix` hex(spanId); undefined for what sha1OfInput does not take. */
function written(traceId: string, prefix: Uint8Array, spanId: Uint8Array): string | undefined {
  const t = traceId.length;
  const n = t + 1 + prefix.length + 2 * spanId.length;
  if (n > SHA1_MAX_INPUT) return undefined;
  const input = sha1Input;
  for (let i = 0; i < t; i++) {
    const c = traceId.charCodeAt(i);
    if (c > 0x7f) return undefined;
    input[i] = c;
  }
  input[t] = 0;
  let at = t + 1;
  for (let i = 0; i < prefix.length; i++) input[at++] = prefix[i]!;
  for (let i = 0; i < spanId.length; i++) {
    const b = spanId[i]!;
    input[at++] = HEX_DIGITS[b >>> 4]!;
    input[at++] = HEX_DIGITS[b & 15]!;
  }
  return uuidOfDigest(sha1OfInput(n));
}
