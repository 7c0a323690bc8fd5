// W3C Trace Context ids. Inside the domain ids are lowercase hex strings: they
// are map keys, log fields and traceparent parts; bytes exist only on the wire.

const HEX = /^[0-9a-f]+$/;

export const TRACE_ID_HEX_LENGTH = 32;
export const SPAN_ID_HEX_LENGTH = 16;

/** True for 32 lowercase hex characters, not all zero. */
export function isValidTraceId(id: string): boolean {
  return id.length === TRACE_ID_HEX_LENGTH && HEX.test(id) && !isAllZero(id);
}

/** True for 16 lowercase hex characters, not all zero. */
export function isValidSpanId(id: string): boolean {
  return id.length === SPAN_ID_HEX_LENGTH && HEX.test(id) && !isAllZero(id);
}

function isAllZero(id: string): boolean {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) !== 48) return false;
  return true;
}

const hexByte: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of bytes; the empty string for no bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += hexByte[bytes[i]!];
  return out;
}

/** Bytes of an even-length hex string; callers validate the hex first. */
export function hexToBytes(hex: string): Uint8Array {
  // Node's native decoder: about 3.5x faster than parsing pairs in JS, and this
  // runs several times per event on the ingest path. Copied into a plain
  // Uint8Array so no Buffer (a subclass, sharing Node's pool) leaks into messages.
  return new Uint8Array(Buffer.from(hex, "hex"));
}
