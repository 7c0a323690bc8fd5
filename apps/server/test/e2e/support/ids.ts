// W3C ids for tests: random, never all zero, as bytes and as hex.

import { randomBytes } from "node:crypto";

function nonZero(length: number): Buffer {
  for (;;) {
    const bytes = randomBytes(length);
    if (bytes.some((b) => b !== 0)) return bytes;
  }
}

/** A random 16-byte trace id. */
export const newTraceId = (): Buffer => nonZero(16);

/** A random 8-byte span id. */
export const newSpanId = (): Buffer => nonZero(8);

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** The W3C traceparent of a sampled span. */
export const traceparentOf = (traceId: Uint8Array, spanId: Uint8Array): string => `00-${hex(traceId)}-${hex(spanId)}-01`;

/** Unix nanoseconds of the wall clock now, at millisecond precision (as the server records). */
export const nowNanos = (): bigint => BigInt(Date.now()) * 1_000_000n;
