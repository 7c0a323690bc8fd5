// Text the read models store in PostgreSQL columns, from names and values the
// log keeps as they were sent. PostgreSQL's text and jsonb cannot hold U+0000,
// and a btree entry cannot pass ~2.7 KB: a span name or a service name breaking
// either made a projector fail the same slice forever, so nothing after it was
// ever listed. So did a span's attributes past jsonb's 255 MiB per object (100
// values of 3.5 MB). The log keeps the truth (GetTrace shows it); the listings
// keep U+0000 as U+FFFD, and names, attribute keys and attribute values by their
// first MAX_LISTED_TEXT_BYTES bytes, and their filters look values up the same way.

import { utf8Prefix } from "../text/utf8-prefix.js";

export const MAX_LISTED_TEXT_BYTES = 1024;

/** U+0000 as U+FFFD, the rest as it is. */
export function withoutNul(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}

/**
 * Where listedText would cut UTF-8 bytes src[start, end): at most MAX_LISTED_TEXT_BYTES
 * of them, ending at a character boundary (never inside a multi-byte character).
 */
export function listedTextEnd(src: Uint8Array, start: number, end: number): number {
  // Each byte becomes at most 3 (U+0000 is listed as U+FFFD): short text is kept whole.
  if ((end - start) * 3 <= MAX_LISTED_TEXT_BYTES) return end;
  let bytes = 0;
  let at = start;
  while (at < end) {
    const b = src[at]!;
    // The bytes this character takes in the source, and in the listing.
    const length = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    const listed = b === 0 ? 3 : length;
    if (bytes + listed > MAX_LISTED_TEXT_BYTES) break;
    bytes += listed;
    at += length;
  }
  return Math.min(at, end);
}

/** withoutNul, cut to at most MAX_LISTED_TEXT_BYTES bytes of UTF-8 at a character boundary. */
export function listedText(text: string): string {
  return utf8Prefix(withoutNul(text), MAX_LISTED_TEXT_BYTES);
}
