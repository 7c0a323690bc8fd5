// Event ids derived from what makes an event unique (see eventIdentity), not
// drawn at random: a retried command decided twice, even on two replicas, gets
// the same ids, and the store's unique index turns the second append into a no-op.

import { hash } from "node:crypto";

/** A name-based UUID (version 5 layout, SHA-1) of the trace id and the event's identity. */
export function deriveEventId(traceId: string, identity: string): string {
  // One-shot hash: no Hash object per event on the ingest path.
  const h = hash("sha1", `${traceId}\u0000${identity}`, "buffer");
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.toString("hex", 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
