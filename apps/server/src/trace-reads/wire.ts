// The few protobuf wire operations the trace reads do by hand: finding fields in
// an encoded Span or Trace without decoding it, and framing already-encoded
// messages as fields of another. Everything else goes through protobuf-es.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** A cursor over encoded bytes. Values are read as numbers: lengths, tags and enums all fit. */
export class WireReader {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  varint(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new RangeError("truncated varint");
      const byte = this.bytes[this.pos++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) return result;
      shift *= 128;
    }
  }

  fixed64(): bigint {
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** The contents of a length-delimited field, as a view. */
  delimited(): Uint8Array {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.bytes.length) throw new RangeError("truncated length-delimited field");
    return this.bytes.subarray(start, this.pos);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.pos += 8;
        return;
      case WIRE_LENGTH_DELIMITED:
        this.delimited();
        return;
      case WIRE_FIXED32:
        this.pos += 4;
        return;
      default:
        throw new RangeError(`unexpected wire type ${wireType}`);
    }
  }
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
