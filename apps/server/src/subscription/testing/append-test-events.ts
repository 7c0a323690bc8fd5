// Events for subscription specs: the loop never looks inside them, so any type
// and payload serve; each names its index so a spec can check order and loss.

import { randomBytes, randomUUID } from "node:crypto";
import type { EventStore } from "../../event-store/event-store.js";

/**
 * Appends `count` events, one per new stream, numbered from `from`, in one group
 * commit; returns their numbers. The streams' ids ascend with the numbers, so the
 * log holds the events in number order (a group commit positions by stream id).
 */
export async function appendTestEvents(store: EventStore, count: number, from = 0): Promise<number[]> {
  const numbers = Array.from({ length: count }, (_, i) => from + i);
  const streamIds = numbers.map(() => randomBytes(16).toString("hex")).sort();
  await store.appendMany(
    numbers.map((i, k) => ({
      streamId: streamIds[k]!,
      expectedVersion: "no_stream" as const,
      events: [{ eventId: randomUUID(), type: "TestEvent", payload: new TextEncoder().encode(String(i)), occurredAt: BigInt(i) }],
    })),
  );
  return numbers;
}

export function testEventNumber(payload: Uint8Array): number {
  return Number(new TextDecoder().decode(payload));
}
