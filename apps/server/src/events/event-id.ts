// Event ids derived from what makes an event unique (see eventIdentity), not
// drawn at random: a retried command decided twice, even on two replicas, gets
// the same ids, and the store's unique index turns the second append into a no-op.

import { hash } from "node:crypto";
import { sha1Ascii } from "./sha1-ascii.js";

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A name-based UUID (version 5 layout, SHA-1) of the trace id and the event's identity. */
export function deriveEventId(traceId: string, identity: string): string {
  const name = `${traceId}\u0000${identity}`;
  // Ids are ASCII but for client-chosen error, event and update ids: those take node:crypto.
  const words = sha1Ascii(name);
  if (words !== undefined) return uuidOf(words[0]!, words[1]!, words[2]!, words[3]!);
  const h = hash("sha1", name, "buffer");
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.toString("hex", 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The first 16 digest bytes as a UUID, with the version-5 and RFC 4122 variant bits. */
function uuidOf(w0: number, w1: number, w2: number, w3: number): string {
  const b6 = ((w1 >>> 8) & 0x0f) | 0x50;
  const b8 = ((w2 >>> 24) & 0x3f) | 0x80;
  return (
    HEX[w0 >>> 24]! + HEX[(w0 >>> 16) & 0xff]! + HEX[(w0 >>> 8) & 0xff]! + HEX[w0 & 0xff]! + "-" +
    HEX[w1 >>> 24]! + HEX[(w1 >>> 16) & 0xff]! + "-" +
    HEX[b6]! + HEX[w1 & 0xff]! + "-" +
    HEX[b8]! + HEX[(w2 >>> 16) & 0xff]! + "-" +
    HEX[(w2 >>> 8) & 0xff]! + HEX[w2 & 0xff]! +
    HEX[w3 >>> 24]! + HEX[(w3 >>> 16) & 0xff]! + HEX[(w3 >>> 8) & 0xff]! + HEX[w3 & 0xff]!
  );
}
