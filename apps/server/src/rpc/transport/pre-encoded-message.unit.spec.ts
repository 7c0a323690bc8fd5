import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema, SpanState } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { isPreEncoded, preEncodedMessage } from "./pre-encoded-message.js";

const response = create(GetTraceResponseSchema, {
  trace: { version: 7n, rootName: "checkout", spans: [{ name: "a", state: SpanState.RUNNING, durationNano: 5n }, { name: "b" }] },
});
const bytes = toBinary(GetTraceResponseSchema, response);

describe("a pre-encoded message", () => {
  it("serialises to exactly the bytes it was made from", () => {
    const message = preEncodedMessage(GetTraceResponseSchema, bytes);
    expect(isPreEncoded(message)).toBe(true);
    expect(message.trace).toBeUndefined();
    expect(toBinary(GetTraceResponseSchema, message)).toEqual(bytes);
    expect(fromBinary(GetTraceResponseSchema, toBinary(GetTraceResponseSchema, message))).toEqual(response);
  });

  it("is told apart from a message built the usual way", () => {
    expect(isPreEncoded(response)).toBe(false);
    expect(isPreEncoded(fromBinary(GetTraceResponseSchema, bytes))).toBe(false);
  });
});
