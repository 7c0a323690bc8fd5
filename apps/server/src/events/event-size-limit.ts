// The largest event the log takes. Reads send events whole, one answer or more per event
// (GetTraceEvents pages, WatchTrace messages), and an answer may be no larger than
// TRACELEDGER_MAX_MESSAGE_BYTES, which gRPC enforces on the sending side (and stock clients,
// at 4 MiB, on theirs). An event that with its envelope passes it could never be read over
// gRPC: every page and every watch from before it would stop there for good. So a command
// that would store one is refused instead, before anything of it is stored.

import { traceError, type TraceError } from "../domain/trace/trace-error.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../rpc/transport/message-limits.js";

/**
 * Room left beside an event for what its answer adds: the EventEnvelope (ids, version,
 * position, times, type name), the TraceEvent and repeated-field framing, a page token.
 * At most 179 bytes, measured with the largest versions, positions and token; kept at
 * 1 KiB so that a field added to the envelope does not strand events already stored.
 * A limit under 4 KiB leaves a quarter of itself.
 */
const ENVELOPE_ROOM_BYTES = 1024;

/** The largest event payload stored under a message limit of `maxMessageBytes`. */
export function maxEventBytes(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): number {
  return maxMessageBytes - Math.min(ENVELOPE_ROOM_BYTES, Math.floor(maxMessageBytes / 4));
}

/** The refusal of a command whose `type` event would be `size` bytes. `spanId` (hex): the span the event is of, if any. */
export function eventTooLarge(traceId: string, type: string, spanId: string, size: number, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): TraceError {
  const max = maxEventBytes(maxMessageBytes);
  return traceError(
    "resource_exhausted",
    "EVENT_TOO_LARGE",
    `the ${type} event this would store is ${size} bytes, more than the ${max} an event may have to be read back within TRACELEDGER_MAX_MESSAGE_BYTES ` +
      `(${maxMessageBytes}) with its envelope; nothing was stored: send smaller attributes, events or resource`,
    {
      trace_id: traceId,
      ...(spanId === "" ? {} : { span_id: spanId }),
      event_type: type,
      event_bytes: String(size),
      max_event_bytes: String(max),
      max_message_bytes: String(maxMessageBytes),
    },
  );
}
