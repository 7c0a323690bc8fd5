// W3C Trace Context ids. Inside the domain ids are lowercase hex strings: they
// are map keys, log fields and traceparent parts; bytes exist only on the wire.

const TRACE_ID_HEX_LENGTH = 32;
const SPAN_ID_HEX_LENGTH = 16;

/** True for 32 lowercase hex characters, not all zero. */
export function isValidTraceId(id: string): boolean {
  return id.length === TRACE_ID_HEX_LENGTH && isNonZeroHex(id);
}

/** True for 16 lowercase hex characters, not all zero. */
export function isValidSpanId(id: string): boolean {
  return id.length === SPAN_ID_HEX_LENGTH && isNonZeroHex(id);
}

// One pass, no regular expression: every ingested span checks two or three ids.
function isNonZeroHex(id: string): boolean {
  let nonZero = false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 48) continue;
    if ((c < 49 || c > 57) && (c < 97 || c > 102)) return false;
    nonZero = true;
  }
  return nonZero;
}

const HEX_DIGITS = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const hexScratch = Buffer.allocUnsafeSlow(64);

/** Lowercase hex of bytes; the empty string for no bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  // Digits written into a scratch buffer and read out as one flat string: ids
  // are map and set keys on the ingest path, and a string built by += is a
  // rope that every first lookup flattens (about 3x the cost of the lookup).
  const n = bytes.length;
  if (n === 0) return "";
  if (n > 32) return Buffer.from(bytes.buffer, bytes.byteOffset, n).toString("hex");
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    hexScratch[2 * i] = HEX_DIGITS[b >> 4]!;
    hexScratch[2 * i + 1] = HEX_DIGITS[b & 15]!;
  }
  return hexScratch.toString("latin1", 0, 2 * n);
}

const nibble = new Int8Array(128).fill(0);
for (let i = 0; i < 10; i++) nibble[48 + i] = i;
for (let i = 0; i < 6; i++) nibble[97 + i] = 10 + i;

/** Bytes of an even-length lowercase hex string; callers validate the hex first. */
export function hexToBytes(hex: string): Uint8Array {
  // A table lookup per character into a small typed array (kept on V8's heap):
  // about 3x faster than Buffer.from(hex) plus the copy that kept Buffers (a
  // subclass, sharing Node's pool) out of messages; this runs several times per
  // event on the ingest path.
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = (nibble[hex.charCodeAt(2 * i) & 0x7f]! << 4) | nibble[hex.charCodeAt(2 * i + 1) & 0x7f]!;
  return out;
}
