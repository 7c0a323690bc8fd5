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

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

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
    for (let i = start; i < end; i++) {
      if (this.buf[i]! >= 0x80) {
        if (!isUtf8(this.buf.subarray(start, end))) this.invalidUtf8++;
        break;
      }
    }
    // Buffer's own decoder without toString's argument handling: about 40% of a short string's cost.
    return (this.buf as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end);
  }

  /** Bytes as lowercase hex (ids). */
  hex(): string {
    const end = this.lengthEnd();
    const value = end === this.pos ? "" : this.buf.toString("hex", this.pos, end);
    this.pos = end;
    return value;
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
