import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AppendRequest, NewEvent } from "./event-store.js";
import { assertAppendRequest } from "./rules.js";

const event = (eventId: string): NewEvent => ({ eventId, type: "T", payload: new Uint8Array(0), occurredAt: 0n });
const request = (streamId: string, events: NewEvent[]): AppendRequest => ({ streamId, expectedVersion: "any", events });
describe("event store request rules", () => {
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
