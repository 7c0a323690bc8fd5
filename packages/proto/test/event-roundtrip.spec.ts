import { describe, expect, it } from "vitest";
import { equals, fromBinary, fromJson, toBinary, toJson, type DescFile, type DescMessage } from "@bufbuild/protobuf";
import * as api from "../src/index.js";
import { EventEnvelopeSchema, TraceEventSchema } from "../src/index.js";
import { traceledgerProtoFiles } from "./support/proto-files.js";
import { sampleMessage, sampleVariants } from "./support/sample-message.js";

// Every traceledger.v1 file the package exports (as public-api.spec.ts enumerates
// them), so a file added to the contracts cannot be left out of the round trips.
const files = Object.entries(api)
  .filter(([name]) => name.startsWith("file_traceledger_v1_"))
  .map(([, file]) => file as DescFile);
const allMessages: DescMessage[] = files.flatMap((f) => f.messages);
const eventFields = TraceEventSchema.fields.filter((f) => f.oneof?.name === "event");

function expectRoundTrip(schema: DescMessage, message: ReturnType<typeof sampleMessage>) {
  const bytes = toBinary(schema, message);
  expect(bytes.length).toBeGreaterThan(0);
  expect(equals(schema, fromBinary(schema, bytes), message)).toBe(true);
  const json = toJson(schema, message);
  expect(equals(schema, fromJson(schema, JSON.parse(JSON.stringify(json))), message)).toBe(true);
}

describe("every event round-trips through binary and JSON", () => {
  it("the event oneof names at least the floor set of events", () => {
    const names = eventFields.map((f) => f.message?.name);
    for (const floor of [
      "TraceStarted",
      "SpanStarted",
      "SpanEnded",
      "SpanErrorOccurred",
      "SpanEventRecorded",
      "SpanAttributeUpdated",
      "SpanOrphaned",
      "TraceCompleted",
    ]) {
      expect(names).toContain(floor);
    }
  });

  it.each(eventFields.map((f) => [f.name, f] as const))("%s, alone and wrapped in TraceEvent and EventEnvelope", (_, field) => {
    const schema = field.message!;
    const event = sampleMessage(schema);
    expectRoundTrip(schema, event);

    const wrapped = { $typeName: "traceledger.v1.TraceEvent", event: { case: field.localName, value: event } };
    expectRoundTrip(TraceEventSchema, wrapped as never);

    const envelope = sampleMessage(EventEnvelopeSchema) as { event?: unknown };
    envelope.event = wrapped;
    expectRoundTrip(EventEnvelopeSchema, envelope as never);
  });

  // The server stores an event's own bytes and serves them as a TraceEvent by
  // prefixing the oneof field's tag and length; this pins that the encodings agree.
  it.each(eventFields.map((f) => [f.name, f] as const))("%s bytes prefixed with tag and length decode as a TraceEvent", (_, field) => {
    const schema = field.message!;
    const event = sampleMessage(schema);
    const body = toBinary(schema, event);
    const prefix = [(field.number << 3) | 2, ...varint(body.length)];
    const framed = new Uint8Array(prefix.length + body.length);
    framed.set(prefix, 0);
    framed.set(body, prefix.length);
    const decoded = fromBinary(TraceEventSchema, framed);
    expect(decoded.event.case).toBe(field.localName);
    expect(equals(schema, decoded.event.value as never, event)).toBe(true);
  });
});

describe("every message of the contracts round-trips", () => {
  it("covers every .proto file of traceledger.v1", () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    expect(files.map((f) => `${f.name}.proto`).sort()).toEqual(traceledgerProtoFiles().sort());
  });

  // One sample per oneof member, so every member's binary tag and JSON name is exercised.
  it.each(allMessages.flatMap((m) => sampleVariants(m).map((v) => [`${m.typeName} (${v.label})`, m, v.message] as const)))(
    "%s",
    (_, schema, message) => {
      expectRoundTrip(schema, message);
    },
  );
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
