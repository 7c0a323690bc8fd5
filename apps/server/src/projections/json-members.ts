// The attributes of a slice's spans as JSON object members, written as UTF-8
// bytes into one growing buffer: string keys and values are copied from the
// stored payloads' bytes (escaped where JSON needs it) instead of becoming
// JavaScript strings, stringified and concatenated; that garbage was most of
// what the projector allocated per event. A span's attributes are segments
// [start, end) of the buffer; jsonOfSpans() joins them into the one JSON array
// the span upsert takes.

type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = "0123456789abcdef";

export class JsonMembers {
  private buf = Buffer.allocUnsafe(64 * 1024) as NodeBuffer;
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n)) as NodeBuffer;
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  /** src[start, end) as the inside of a JSON string: '"', '\' and control bytes escaped, the rest copied. */
  escapedBytes(src: Buffer, start: number, end: number): void {
    this.room((end - start) * 6);
    const buf = this.buf;
    let o = this.length;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      if (b >= 0x20 && b !== QUOTE && b !== BACKSLASH) buf[o++] = b;
      else if (b === QUOTE || b === BACKSLASH) {
        buf[o++] = BACKSLASH;
        buf[o++] = b;
      } else if (b === 0) {
        // jsonb cannot hold U+0000 (withoutNul, database/listed-text.ts): U+FFFD, as a \ufffd escape.
        buf[o++] = BACKSLASH;
        buf[o++] = 0x75;
        buf[o++] = 0x66;
        buf[o++] = 0x66;
        buf[o++] = 0x66;
        buf[o++] = 0x64;
      } else {
        // \u00XX: JSON.parse and PostgreSQL read it as the same character as \n, \t ...
        buf[o++] = BACKSLASH;
        buf[o++] = 0x75;
        buf[o++] = 0x30;
        buf[o++] = 0x30;
        buf[o++] = HEX.charCodeAt(b >> 4);
        buf[o++] = HEX.charCodeAt(b & 15);
      }
    }
    this.length = o;
  }

  /** A string as UTF-8 (already JSON where it is written). */
  utf8(text: string): void {
    this.room(Buffer.byteLength(text));
    this.length += this.buf.write(text, this.length, "utf8");
  }

  /** The text of [start, end). */
  text(start: number, end: number): string {
    return start === end ? "" : this.buf.utf8Slice(start, end);
  }

  /**
   * A JSON array with one object per entry: each entry's segments (start, end
   * pairs) joined by commas; an entry without segments is {}.
   */
  jsonOfSegments(entries: ReadonlyArray<readonly number[] | undefined>): string {
    let size = 2;
    for (const segments of entries) {
      size += 3;
      if (segments) for (let i = 0; i < segments.length; i += 2) size += segments[i + 1]! - segments[i]! + 1;
    }
    const out = Buffer.allocUnsafe(size) as NodeBuffer;
    let o = 0;
    out[o++] = 0x5b;
    for (let k = 0; k < entries.length; k++) {
      if (k > 0) out[o++] = 0x2c;
      out[o++] = 0x7b;
      const segments = entries[k];
      if (segments) {
        for (let i = 0; i < segments.length; i += 2) {
          if (i > 0) out[o++] = 0x2c;
          o += this.buf.copy(out, o, segments[i]!, segments[i + 1]!);
        }
      }
      out[o++] = 0x7d;
    }
    out[o++] = 0x5d;
    return out.utf8Slice(0, o);
  }
}
