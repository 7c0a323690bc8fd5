// Reads protobuf wire format in place. OTLP requests are read field by field
// into exactly what ingest needs, instead of decoding every message with
// protobuf-es first (see docs/architecture.md, "OTLP ingest"). Anything that
// does not parse throws MalformedOtlp, which the doors answer as bad data.

import { isUtf8 } from "node:buffer";

export class MalformedOtlp extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedOtlp";
  }
}

/** Buffer's native slicers, without toString's argument handling. */
type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string; latin1Slice(start: number, end: number): string };

/** Where hexRemembered last read an id in the buffer, and its hex. */
export interface HexMemo {
  start: number;
  end: number;
  hex: string;
}

// Short ASCII strings seen recently (attribute keys, span, event and scope
// names: the same few dozen in request after request), by a hash of their
// bytes. Finding one costs less than decoding it, and every span then holds
// the same old string instead of new ones the young-generation GC copies until
// the commit. A slot holds the last string that hashed there.
const RECENT_MAX_BYTES = 32;
const RECENT_SLOTS = 1024;
const recent: Array<string | undefined> = new Array<string | undefined>(RECENT_SLOTS).fill(undefined);

/** The string of the bytes if they are ASCII and were read recently; undefined otherwise (then remembered, if ASCII). */
function recentString(buf: Buffer, start: number, end: number): string | undefined {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    if (byte >= 0x80) return undefined;
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  const slot = (hash >>> 0) & (RECENT_SLOTS - 1);
  const known = recent[slot];
  const length = end - start;
  if (known !== undefined && known.length === length) {
    let i = 0;
    while (i < length && known.charCodeAt(i) === buf[start + i]) i++;
    if (i === length) return known;
  }
  const value = (buf as NodeBuffer).latin1Slice(start, end);
  recent[slot] = value;
  return value;
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

export class ProtobufCursor {
  pos: number;
  /** How many strings read so far were not valid UTF-8 (they were read with U+FFFD). */
  invalidUtf8 = 0;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** A field's tag: field number << 3 | wire type. */
  tag(): number {
    const tag = this.uint32();
    if (tag < 8) throw new MalformedOtlp("field number 0");
    return tag;
  }

  /** A varint of at most 32 significant bits (tags, lengths, enums, counts, bools). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) throw new MalformedOtlp("truncated varint");
      const byte = buf[pos++]!;
      if (shift < 28) result |= (byte & 0x7f) << shift;
      else if (shift === 28) result |= (byte & 0x0f) << 28;
      if ((byte & 0x80) === 0) break;
      shift += 7;
      // A 64-bit varint (a negative int32 enum) may run to 10 bytes; the high bits are dropped.
      if (shift > 63) throw new MalformedOtlp("varint too long");
    }
    this.pos = pos;
    return result >>> 0;
  }

  /** A varint as a signed 64-bit integer (int64). */
  int64(): bigint {
    const buf = this.buf;
    let pos = this.pos;
    let low = 0;
    let high = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) throw new MalformedOtlp("truncated varint");
      const byte = buf[pos++]!;
      const bits = byte & 0x7f;
      if (shift < 28) low |= bits << shift;
      else if (shift === 28) {
        low |= (bits & 0x0f) << 28;
        high |= bits >>> 4;
      } else high |= bits << (shift - 32);
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 63) throw new MalformedOtlp("varint too long");
    }
    this.pos = pos;
    return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0));
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new MalformedOtlp("truncated fixed32");
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new MalformedOtlp("truncated fixed64");
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new MalformedOtlp("truncated double");
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Reads a length prefix and returns where the field's bytes end; the cursor is at their start. */
  lengthEnd(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw new MalformedOtlp("a length-delimited field runs past its message");
    return end;
  }

  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    if (end === start) return "";
    if (end - start <= RECENT_MAX_BYTES) {
      const known = recentString(this.buf, start, end);
      if (known !== undefined) return known;
    }
    // Buffer's own decoder without toString's argument handling: about 40% of a short string's cost.
    const value = (this.buf as NodeBuffer).utf8Slice(start, end);
    // Decoded first, checked after, instead of a byte loop looking for non-ASCII
    // (half the cost on the long strings of stack traces and SQL). Valid
    // multi-byte sequences always yield fewer UTF-16 units than bytes, so a
    // string as long as its bytes has none: it is ASCII, unless invalid bytes
    // were replaced (one U+FFFD each). A shorter one is checked by isUtf8.
    if (value.length === end - start ? value.indexOf("\uFFFD") >= 0 : !isUtf8(this.buf.subarray(start, end))) this.invalidUtf8++;
    return value;
  }

  /**
   * Steps over a string field, counting it in invalidUtf8 when it is not
   * UTF-8, without making the string (its bytes are copied, not read).
   */
  skipString(): void {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    const buf = this.buf;
    // Short strings by a loop; longer ones by the native check, cheaper than a loop or decoding.
    if (end - start < 24) {
      let i = start;
      while (i < end && buf[i]! < 0x80) i++;
      if (i === end) return;
    }
    if (!isUtf8(buf.subarray(start, end))) this.invalidUtf8++;
  }

  /** Steps over a varint (no BigInt made). */
  skipVarint(): void {
    const buf = this.buf;
    let pos = this.pos;
    for (let n = 1; ; n++) {
      if (pos >= this.end) throw new MalformedOtlp("truncated varint");
      if ((buf[pos++]! & 0x80) === 0) break;
      if (n === 10) throw new MalformedOtlp("varint too long");
    }
    this.pos = pos;
  }

  /** Bytes as lowercase hex (ids). */
  hex(): string {
    const end = this.lengthEnd();
    const value = end === this.pos ? "" : (this.buf as NodeBuffer).hexSlice(this.pos, end);
    this.pos = end;
    return value;
  }

  /**
   * hex(), but when the bytes equal those `memo` last saw, its string is
   * returned again: the spans of a trace come together, each with the same
   * trace id, and a request's grouping by trace then finds one string, not
   * eight equal ones.
   */
  hexRemembered(memo: HexMemo): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    const length = end - start;
    if (length === memo.end - memo.start && length > 0) {
      const buf = this.buf;
      let i = 0;
      while (i < length && buf[start + i] === buf[memo.start + i]) i++;
      if (i === length) return memo.hex;
    }
    memo.start = start;
    memo.end = end;
    memo.hex = length === 0 ? "" : (this.buf as NodeBuffer).hexSlice(start, end);
    return memo.hex;
  }

  /** A copy of the bytes, so nothing keeps the whole request alive. */
  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const value = new Uint8Array(end - this.pos);
    value.set(this.buf.subarray(this.pos, end));
    this.pos = end;
    return value;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.int64();
        return;
      case WIRE_FIXED64:
        if (this.pos + 8 > this.end) throw new MalformedOtlp("truncated fixed64");
        this.pos += 8;
        return;
      case WIRE_LENGTH:
        this.pos = this.lengthEnd();
        return;
      case WIRE_FIXED32:
        if (this.pos + 4 > this.end) throw new MalformedOtlp("truncated fixed32");
        this.pos += 4;
        return;
      default:
        throw new MalformedOtlp(`unsupported wire type ${wireType}`);
    }
  }

  /**
   * After a sub-message's fields: the cursor must stand exactly at its end.
   * Reads inside are bounded by the whole buffer, so a field that overran its
   * message is caught here.
   */
  endOf(end: number): void {
    if (this.pos !== end) throw new MalformedOtlp("a field runs past the end of its message");
  }
}
