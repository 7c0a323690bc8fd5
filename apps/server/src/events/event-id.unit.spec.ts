import { hash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveEventId } from "./event-id.js";
import { sha1Ascii } from "./sha1-ascii.js";

/** What deriveEventId has always returned: node:crypto's SHA-1 in the version-5 UUID layout. */
function reference(traceId: string, identity: string): string {
  const h = hash("sha1", `${traceId}\u0000${identity}`, "buffer");
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.toString("hex", 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

describe("deriveEventId", () => {
  it("gives exactly the ids it always gave, for identities of every length around the block edges", () => {
    for (let length = 0; length <= 200; length++) {
      const traceId = randomBytes(16).toString("hex");
      const identity = randomBytes(length).toString("base64").slice(0, length);
      expect(deriveEventId(traceId, identity)).toBe(reference(traceId, identity));
    }
  });

  it("gives the same ids for the identities the aggregate uses, and for non-ASCII client ids", () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    for (const identity of ["trace-started", "span-started:00f067aa0ba902b7", "error:00f067aa0ba902b7:otlp-3", "event:b7ad6b7169203331:ünïcødé ☃", "trace-completed:late:12", "x".repeat(2000)]) {
      expect(deriveEventId(traceId, identity)).toBe(reference(traceId, identity));
    }
  });

  it("leaves non-ASCII and long strings to node:crypto", () => {
    expect(sha1Ascii("é")).toBeUndefined();
    expect(sha1Ascii("x".repeat(2000))).toBeUndefined();
    expect(Buffer.from(sha1Ascii("abc")!.buffer).swap32().toString("hex")).toBe(hash("sha1", "abc", "hex"));
  });
});
