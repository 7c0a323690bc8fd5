// An OTLP span event becomes an event or, when it is an exception by
// OpenTelemetry's semantic conventions (an event named "exception" with
// exception.type / exception.message / exception.stacktrace / exception.escaped),
// an error: the same SpanErrorOccurred the lifecycle API's RecordError writes.
// What the error's fields cannot hold exactly as it came (a non-string type,
// message or stacktrace; an exception.escaped other than a bool true) stays
// among its attributes, so that the export sends the event as it was received.
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
        // Only a bool true is all the error's escaped flag says (the export writes it back
        // as that); anything else (false, a string "true") is also kept as it came, among the
        // error's attributes, where the export finds it and sends it in the flag's place.
        if (v?.case === "boolValue" && v.value) escaped = true;
        else {
          if (v?.case === "stringValue" && v.value === "true") escaped = true;
          rest.push(kv);
        }
        break;
      default:
        rest.push(kv);
    }
  }
  return { type: "error", errorId: id, time, errorType, message, stacktrace, escaped, attributes: rest, droppedAttributesCount };
}
