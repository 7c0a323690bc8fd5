import { create } from "@bufbuild/protobuf";
import { TraceEventSchema } from "@traceledger/proto";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { eventIdentity, type TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { deriveEventId } from "./event-id.js";
import { traceEventId } from "./trace-event-id.js";

/** One event of every TraceEvent case, with `fields` set where the message has them. */
function everyCase(fields: Record<string, unknown>): TraceEventCase[] {
  const events: TraceEventCase[] = [];
  for (const field of TraceEventSchema.fields) {
    if (field.fieldKind !== "message" || field.oneof?.name !== "event") continue;
    const init: Record<string, unknown> = {};
    for (const f of field.message.fields) if (f.localName in fields) init[f.localName] = fields[f.localName];
    events.push({ case: field.localName, value: create(field.message, init) } as TraceEventCase);
  }
  return events;
}

const general = (traceId: string, event: TraceEventCase) => deriveEventId(traceId, eventIdentity(event, bytesToHex));

describe("traceEventId", () => {
  it("gives every event type the id of its identity, as deriveEventId does", () => {
    const cases = [
      { spanId: randomBytes(8), errorId: "e-1", eventId: "ev-1", updateId: "u-1", lateSpanCount: 0 },
      { spanId: randomBytes(8), errorId: "ünïcødé ☃", eventId: "", updateId: "x".repeat(1500), lateSpanCount: 3 },
      { spanId: new Uint8Array(0) },
      { spanId: randomBytes(40) },
    ];
    let seen = 0;
    for (const fields of cases) {
      for (const traceId of [randomBytes(16).toString("hex"), "", "tracé", "t".repeat(1100)]) {
        for (const event of everyCase(fields)) {
          expect(traceEventId(traceId, event), `${event.case} ${traceId.slice(0, 8)}`).toBe(general(traceId, event));
          seen++;
        }
      }
    }
    expect(seen).toBeGreaterThanOrEqual(4 * 4 * 8);
  });

  it("gives the same ids when its calls and deriveEventId's interleave (they share SHA-1's input)", () => {
    const traceId = randomBytes(16).toString("hex");
    const [first, second] = everyCase({ spanId: randomBytes(8) }).filter((e) => e.case === "spanStarted" || e.case === "spanEnded");
    const a = traceEventId(traceId, first!);
    expect(deriveEventId(traceId, "trace-started")).toBe(general(traceId, everyCase({})[0]!));
    expect(traceEventId(traceId, second!)).toBe(general(traceId, second!));
    expect(traceEventId(traceId, first!)).toBe(a);
  });
});
