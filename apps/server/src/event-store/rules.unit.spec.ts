import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AppendRequest, NewEvent } from "./event-store.js";
import { assertAppendRequest, assertStreamId } from "./rules.js";

// The checks as they were first written, as regular expressions: the hand-written ones must agree.
const STREAM_ID = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const event = (eventId: string): NewEvent => ({ eventId, type: "T", payload: new Uint8Array(0), occurredAt: 0n });
const request = (streamId: string, events: NewEvent[]): AppendRequest => ({ streamId, expectedVersion: "any", events });
const accepts = (check: () => void): boolean => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};

/** A valid string with one character replaced, or cut short, or lengthened, in every way that matters. */
function mutations(valid: string): string[] {
  const out = [valid, valid.toUpperCase(), valid.slice(1), `${valid}0`, `0${valid}`, "", valid.replaceAll("-", "")];
  for (let i = 0; i < valid.length; i++) {
    for (const c of ["-", "0", "9", "a", "f", "g", "A", "F", "/", ":", "`", " ", "é"]) out.push(valid.slice(0, i) + c + valid.slice(i + 1));
  }
  return out;
}

describe("event store request rules", () => {
  it("take exactly the lowercase canonical UUIDs as event ids", () => {
    const stream = randomBytes(16).toString("hex");
    for (const id of [randomUUID(), "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"].flatMap(mutations)) {
      expect(accepts(() => assertAppendRequest(request(stream, [event(id)]))), JSON.stringify(id)).toBe(UUID.test(id));
    }
  });

  it("take exactly 32 lowercase hex characters as stream ids", () => {
    for (const id of [randomBytes(16).toString("hex"), "0".repeat(32), "f".repeat(32)].flatMap(mutations)) {
      expect(accepts(() => assertStreamId(id)), JSON.stringify(id)).toBe(STREAM_ID.test(id));
      expect(accepts(() => assertAppendRequest(request(id, [event(randomUUID())]))), JSON.stringify(id)).toBe(STREAM_ID.test(id));
    }
  });

  it("refuse an event id twice in one request, short or long, wherever the second is", () => {
    const stream = randomBytes(16).toString("hex");
    for (const length of [2, 3, 16, 17, 40]) {
      const events = Array.from({ length }, () => event(randomUUID()));
      expect(() => assertAppendRequest(request(stream, events))).not.toThrow();
      for (const [first, second] of [[0, 1], [0, length - 1], [length - 2, length - 1], [1, length - 1]] as const) {
        if (first === second) continue;
        const twice = events.map((e, i) => (i === second ? event(events[first]!.eventId) : e));
        expect(() => assertAppendRequest(request(stream, twice))).toThrow(/appears twice/);
      }
    }
  });
});
