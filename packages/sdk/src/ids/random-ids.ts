// Client-chosen ids, from the operating system's CSPRNG. Every command that
// creates something names it with one of these, so a retried command is
// recognised by the server instead of creating a duplicate.
//
// Randomness is drawn 4 KiB at a time into a pool: one crypto call serves ~500
// span ids, which keeps id generation off the hot path's profile.

import { randomFillSync } from "node:crypto";

const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

function take(bytes: number): number {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

function randomHex(bytes: number): string {
  for (;;) {
    const at = take(bytes);
    let zero = true;
    for (let i = at; i < at + bytes; i++) {
      if (POOL[i] !== 0) {
        zero = false;
        break;
      }
    }
    // An all-zero id is invalid in W3C trace context; draw again.
    if (!zero) return POOL.toString("hex", at, at + bytes);
  }
}

/** A W3C trace id: 16 random bytes as 32 lowercase hex characters, never all zero. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A W3C span id: 8 random bytes as 16 lowercase hex characters, never all zero. */
export function newSpanId(): string {
  return randomHex(8);
}

/** An id for an error, event or attribute update (unique within its span). */
export function newRequestId(): string {
  return randomHex(8);
}
