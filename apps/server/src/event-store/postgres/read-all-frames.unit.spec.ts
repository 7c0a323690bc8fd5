import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../event-store.js";
import { unframeEvents } from "./read-all-frames.js";

/** One frame as EVENT_FRAME_SQL writes it (the layout in read-all-frames.ts). */
function frame(event: StoredEvent, transactionId: bigint): Buffer {
  const type = Buffer.from(event.type, "utf8");
  const head = Buffer.alloc(88 + 2);
  head.writeBigUInt64BE(transactionId, 0);
  head.writeBigInt64BE(event.position, 8);
  head.writeBigInt64BE(event.occurredAt, 16);
  head.writeBigInt64BE(event.recordedAt, 24);
  head.writeInt32BE(event.version, 32);
  Buffer.from(event.streamId, "hex").copy(head, 36);
  head.write(event.eventId, 52, "latin1");
  head.writeUInt16BE(type.length, 88);
  const length = Buffer.alloc(4);
  length.writeInt32BE(event.payload.length);
  return Buffer.concat([head, type, length, event.payload]);
}

const first: StoredEvent = {
  streamId: "4bf92f3577b34da6a3ce929d0e0e4736",
  version: 7,
  eventId: "0193a7c4-5e2f-7d41-9b6a-2f8c1e0d4a57",
  type: "SpanStarted",
  payload: Uint8Array.from([0x0a, 0x10, 0xff, 0x00, 0x7f]),
  occurredAt: 1_764_000_000_123_456_789n,
  recordedAt: 1_764_000_000_223_456_789n,
  position: 42n,
};
const second: StoredEvent = {
  streamId: "00f067aa0ba902b700f067aa0ba902b7",
  version: 2_147_483_647,
  eventId: "ffffffff-ffff-4fff-bfff-ffffffffffff",
  type: "Événement", // not ASCII: the length is in bytes
  payload: new Uint8Array(0),
  occurredAt: -1n,
  recordedAt: 9_223_372_036_854_775_807n,
  position: 9_007_199_254_740_993n, // past 2^53
};

describe("unframeEvents", () => {
  it("gives back each framed event, and the last one's checkpoint with its transaction id", () => {
    const framed = Buffer.concat([frame(first, 900n), frame(second, 18_446_744_073_709_551_615n)]);
    const page = unframeEvents(framed, 2);
    expect(page.events).toEqual([first, second]);
    expect(page.last).toEqual({ transactionId: 18_446_744_073_709_551_615n, position: second.position });
    expect([...page.transactionIds]).toEqual([900n, 18_446_744_073_709_551_615n]);
  });

  it("hands out payloads as views into the framed bytes, not copies", () => {
    const framed = frame(first, 1n);
    const [event] = unframeEvents(framed, 1).events;
    expect(event!.payload.buffer).toBe(framed.buffer);
    expect(Buffer.from(event!.payload)).toEqual(Buffer.from(first.payload));
  });

  it("reads nothing from nothing", () => {
    expect(unframeEvents(Buffer.alloc(0), 0)).toEqual({ events: [], transactionIds: new BigUint64Array(0), last: undefined });
  });

  it("reads each event's own type when types repeat, share a length or are not ASCII", () => {
    // Type names are remembered per page and matched byte by byte: names of one length that
    // differ only in their last byte, a name that is a prefix of another, and one outside ASCII.
    const types = ["SpanEnded", "SpanEndee", "SpanEnded", "Span", "SpanStarted", "Événement", "SpanEndee", "Événement", "Span"];
    const events = types.map((type, i): StoredEvent => ({ ...first, type, version: i + 1, position: BigInt(i + 1) }));
    const page = unframeEvents(Buffer.concat(events.map((e, i) => frame(e, BigInt(i + 1)))), events.length);
    expect(page.events.map((e) => e.type)).toEqual(types);
    expect(page.events).toEqual(events);
  });

  it("refuses frames cut short or followed by stray bytes", () => {
    const framed = Buffer.concat([frame(first, 1n), frame(second, 2n)]);
    expect(() => unframeEvents(framed.subarray(0, framed.length - 1), 2)).toThrow(/cut short/);
    expect(() => unframeEvents(framed.subarray(0, 40), 1)).toThrow(/cut short/);
    expect(() => unframeEvents(framed, 1)).toThrow(/left over/);
    expect(() => unframeEvents(framed, 3)).toThrow(/cut short/);
  });
});
