// An OTLP span event becomes an event or, when it is an exception by
// OpenTelemetry's semantic conventions (an event named "exception" with
// exception.type / exception.message / exception.stacktrace / exception.escaped),
// an error: the same SpanErrorOccurred the lifecycle API's RecordError writes.
//
// Its id is its position among the span's events: a span exported again
// carries the same events in the same order, so a re-export is recognised.

import type { KeyValue } from "@traceledger/proto";
import type { FinishedSpanError, FinishedSpanEvent } from "../domain/trace/trace-commands.js";

const EXCEPTION_EVENT = "exception";

export function finishedSpanEvent(
  index: number,
  time: bigint,
  name: string,
  attributes: KeyValue[],
  droppedAttributesCount: number,
): FinishedSpanEvent | FinishedSpanError {
  const id = `otlp-${index}`;
  if (name !== EXCEPTION_EVENT) return { type: "event", eventId: id, time, name, attributes, droppedAttributesCount };
  let errorType = "";
  let message = "";
  let stacktrace = "";
  let escaped = false;
  const rest: KeyValue[] = [];
  for (const kv of attributes) {
    const v = kv.value?.value;
    switch (kv.key) {
      case "exception.type":
        if (v?.case === "stringValue") errorType = v.value;
        else rest.push(kv);
        break;
      case "exception.message":
        if (v?.case === "stringValue") message = v.value;
        else rest.push(kv);
        break;
      case "exception.stacktrace":
        if (v?.case === "stringValue") stacktrace = v.value;
        else rest.push(kv);
        break;
      case "exception.escaped":
        if (v?.case === "boolValue") escaped = v.value;
        else if (v?.case === "stringValue") escaped = v.value === "true";
        else rest.push(kv);
        break;
      default:
        rest.push(kv);
    }
  }
  return { type: "error", errorId: id, time, errorType, message, stacktrace, escaped, attributes: rest, droppedAttributesCount };
}
