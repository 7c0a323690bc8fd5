// GetTraceEvents budgets a page by its events' stored bytes plus ENVELOPE_BYTES each, so
// the bound must hold for every event type at the largest ids, versions and times.

import { create, toBinary } from "@bufbuild/protobuf";
import { GetTraceEventsResponseSchema, TraceEventSchema } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { ENVELOPE_BYTES, toEnvelope } from "./event-envelope.js";

const types = TraceEventSchema.fields.filter((f) => f.fieldKind === "message" && f.oneof?.name === "event").map((f) => f.message!.name);

describe("ENVELOPE_BYTES", () => {
  it.each(types)("bounds what an envelope of %s adds to its payload, as an element of a page", (type) => {
    const payload = new Uint8Array(0);
    const stored = {
      streamId: "ffffffffffffffffffffffffffffffff",
      version: Number.MAX_SAFE_INTEGER,
      position: (1n << 64n) - 1n,
      recordedAt: (1n << 64n) - 1n,
      occurredAt: (1n << 64n) - 1n,
      eventId: "ffffffff-ffff-4fff-bfff-ffffffffffff",
      type,
      payload,
    };
    const page = toBinary(GetTraceEventsResponseSchema, create(GetTraceEventsResponseSchema, { events: [toEnvelope(stored)] }));
    expect(page.length - payload.length).toBeLessThanOrEqual(ENVELOPE_BYTES);
    // A payload's length takes more bytes to say when it is long: 3 more for 2 MB.
    expect(page.length - payload.length + 6).toBeLessThanOrEqual(ENVELOPE_BYTES);
  });
});
