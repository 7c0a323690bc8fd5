import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../event-store/event-store.js";
import { StreamTailCache } from "./stream-tail-cache.js";

const A = "a".repeat(32);
const B = "b".repeat(32);

function event(streamId: string, version: number, type = version === 1 ? "TraceStarted" : "SpanStarted"): StoredEvent {
  return { streamId, version, type, eventId: `${version}`, payload: new Uint8Array([version]), occurredAt: 0n, recordedAt: 0n, position: BigInt(version) };
}

describe("StreamTailCache", () => {
  it("serves a trace stream seen from its first event, up to any version it holds", () => {
    const cache = new StreamTailCache(100);
    for (let v = 1; v <= 4; v++) cache.add(event(A, v));
    expect(cache.read(A, 4)!.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    expect(cache.read(A, 2)!.map((e) => e.version)).toEqual([1, 2]);
    expect(cache.read(A, 5)).toBeUndefined();
  });

  it("keeps copies of the payloads, not views of the driver's buffers", () => {
    const cache = new StreamTailCache(100);
    const first = event(A, 1);
    cache.add(first);
    first.payload[0] = 99;
    expect(cache.read(A, 1)![0]!.payload[0]).toBe(1);
  });

  it("ignores streams first seen past their start, and other streams than traces", () => {
    const cache = new StreamTailCache(100);
    cache.add(event(A, 2));
    cache.add(event(B, 1, "AlertRaised"));
    expect(cache.read(A, 2)).toBeUndefined();
    expect(cache.read(B, 1)).toBeUndefined();
    expect(cache.eventCount).toBe(0);
  });

  it("skips events it already holds (a redelivered slice) and gives up a stream at a gap", () => {
    const cache = new StreamTailCache(100);
    [1, 2, 2, 1, 3].forEach((v) => cache.add(event(A, v)));
    expect(cache.read(A, 3)!.map((e) => e.version)).toEqual([1, 2, 3]);
    cache.add(event(A, 5));
    expect(cache.read(A, 3)).toBeUndefined();
    expect(cache.eventCount).toBe(0);
  });

  it("makes room by dropping the streams first seen longest ago", () => {
    const cache = new StreamTailCache(3);
    cache.add(event(A, 1));
    cache.add(event(A, 2));
    cache.add(event(B, 1));
    cache.add(event(B, 2));
    expect(cache.read(A, 1)).toBeUndefined();
    expect(cache.read(B, 2)).toHaveLength(2);
    expect(cache.eventCount).toBe(2);
  });

  it("holds nothing when its size is 0", () => {
    const cache = new StreamTailCache(0);
    cache.add(event(A, 1));
    expect(cache.read(A, 1)).toBeUndefined();
  });

  it("starts over when a trace id begins again with other events (its trace deleted by retention)", () => {
    const cache = new StreamTailCache(100);
    for (let v = 1; v <= 4; v++) cache.add(event(A, v));
    const again = (version: number): StoredEvent => ({ ...event(A, version), eventId: `again ${version}`, payload: new Uint8Array([100 + version]) });
    cache.add(again(1));
    cache.add(again(2));
    expect(cache.read(A, 2)!.map((e) => e.eventId)).toEqual(["again 1", "again 2"]);
    expect(cache.read(A, 3)).toBeUndefined();
    expect(cache.eventCount).toBe(2);
    // Found out at its first event too.
    cache.add({ ...event(B, 1) });
    cache.add({ ...event(B, 2), eventId: "other 2" });
    cache.add({ ...event(B, 1), eventId: "other 1" });
    expect(cache.read(B, 1)![0]!.eventId).toBe("other 1");
  });
});
