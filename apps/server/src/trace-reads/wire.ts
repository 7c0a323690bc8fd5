// The few protobuf wire operations the trace reads do by hand: finding fields in
// an encoded Span or Trace without decoding it, and framing already-encoded
// messages as fields of another. Everything else goes through protobuf-es.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/**
 * A cursor over encoded bytes, between `pos` and `end`. Values are read as
 * numbers: lengths, tags and enums all fit. Skipping allocates nothing, which
 * matters when a thousand spans are scanned per read.
 */
export class WireReader {
  private view: DataView | undefined;

  constructor(
    readonly bytes: Buffer,
    public pos = 0,
    public end = bytes.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    const bytes = this.bytes;
    let byte = bytes[this.pos++]!;
    if (byte < 0x80) return byte;
    let result = byte & 0x7f;
    let shift = 128;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError("truncated varint");
      byte = bytes[this.pos++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) return result;
      shift *= 128;
    }
  }

  fixed64(): bigint {
    this.view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a length prefix and returns where the field's contents end; `pos` is where they start. */
  delimitedEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new RangeError("truncated length-delimited field");
    return end;
  }

  /** The contents of a length-delimited field, as a view. */
  delimited(): Uint8Array {
    const end = this.delimitedEnd();
    const start = this.pos;
    this.pos = end;
    return this.bytes.subarray(start, end);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        while (this.bytes[this.pos++]! >= 0x80) {
          // continuation bytes
        }
        return;
      case WIRE_FIXED64:
        this.pos += 8;
        return;
      case WIRE_LENGTH_DELIMITED:
        this.pos = this.delimitedEnd();
        return;
      case WIRE_FIXED32:
        this.pos += 4;
        return;
      default:
        throw new RangeError(`unexpected wire type ${wireType}`);
    }
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of bytes[start, end), without a view in between. */
export function hexOf(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) out += HEX[bytes[i]!];
  return out;
}

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Writes `value` as a varint at `at`; returns the position after it. */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

/** Writes a uint64 as a varint at `at`; returns the position after it. */
export function writeVarint64(out: Uint8Array, at: number, value: bigint): number {
  while (value >= 0x80n) {
    out[at++] = Number(value & 0x7fn) | 0x80;
    value >>= 7n;
  }
  out[at++] = Number(value);
  return at;
}

export function varint64Size(value: bigint): number {
  let size = 1;
  while (value >= 0x80n) {
    value >>= 7n;
    size++;
  }
  return size;
}

/** A tag of a field numbered below 16: one byte. */
export function tagByte(fieldNumber: number, wireType: number): number {
  return (fieldNumber << 3) | wireType;
}
