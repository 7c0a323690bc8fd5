// An OTLP exception event becomes an error whose export gives back the event's
// attributes as received: only what the error's fields hold exactly is folded.

import { create } from "@bufbuild/protobuf";
import { KeyValueSchema, type KeyValue } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { finishedSpanEvent } from "./span-event-mapping.js";

const str = (key: string, value: string): KeyValue => create(KeyValueSchema, { key, value: { value: { case: "stringValue", value } } });
const bool = (key: string, value: boolean): KeyValue => create(KeyValueSchema, { key, value: { value: { case: "boolValue", value } } });
const int = (key: string, value: bigint): KeyValue => create(KeyValueSchema, { key, value: { value: { case: "intValue", value } } });

describe("an OTLP span event", () => {
  it("named otherwise stays an event, with its attributes", () => {
    expect(finishedSpanEvent(0, 5n, "retry", [str("a", "b")], 1)).toEqual({ type: "event", eventId: "otlp-0", time: 5n, name: "retry", attributes: [str("a", "b")], droppedAttributesCount: 1 });
  });

  it("named exception becomes an error: string type, message and stacktrace and a bool true escaped are its fields", () => {
    const error = finishedSpanEvent(2, 5n, "exception", [str("exception.type", "E"), str("exception.message", "m"), str("exception.stacktrace", "at f"), bool("exception.escaped", true), str("extra", "x")], 0);
    expect(error).toEqual({ type: "error", errorId: "otlp-2", time: 5n, errorType: "E", message: "m", stacktrace: "at f", escaped: true, attributes: [str("extra", "x")], droppedAttributesCount: 0 });
  });

  it("keeps an exception.escaped that is not exactly a bool true among the error's attributes, where its export finds it", () => {
    const escapedFalse = finishedSpanEvent(0, 5n, "exception", [str("exception.type", "E"), bool("exception.escaped", false), str("extra", "x")], 0);
    expect(escapedFalse).toMatchObject({ escaped: false, attributes: [bool("exception.escaped", false), str("extra", "x")] });
    // A string "true" says it escaped (the error shows so), and is sent on as the string it was.
    const escapedString = finishedSpanEvent(0, 5n, "exception", [str("exception.type", "E"), str("exception.escaped", "true")], 0);
    expect(escapedString).toMatchObject({ escaped: true, attributes: [str("exception.escaped", "true")] });
    const escapedInt = finishedSpanEvent(0, 5n, "exception", [int("exception.escaped", 1n)], 0);
    expect(escapedInt).toMatchObject({ escaped: false, attributes: [int("exception.escaped", 1n)] });
  });

  it("keeps a type, message or stacktrace that is not a string among the error's attributes", () => {
    expect(finishedSpanEvent(0, 5n, "exception", [int("exception.type", 3n)], 0)).toMatchObject({ errorType: "", attributes: [int("exception.type", 3n)] });
  });
});
