// A minimal protobuf binary writer for the few messages the SDK sends on its hot
// path. It writes straight into one growable buffer: nested messages reserve a
// one-byte length and are shifted in the rare case the length needs more.
// Proto3 defaults (empty strings and bytes) are skipped by the *Field helpers,
// as protobuf encoders do; oneof members are always written.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUES["0123456789abcdef".charCodeAt(i)] = i;
for (let i = 10; i < 16; i++) HEX_VALUES["ABCDEF".charCodeAt(i - 10)] = i;

export class ProtoWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initialSize = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** What was written, without a copy: valid until the next reset() or write. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (value > 0x7f) {
      buf[this.pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[this.pos++] = value;
  }

  tag(field: number, wireType: number): void {
    this.uint32((field << 3) | wireType);
  }

  /** A signed 64-bit integer as a varint (negative values take ten bytes). */
  int64(value: number | bigint): void {
    if (typeof value === "number" && value >= 0 && value <= 0xffffffff) {
      this.uint32(value);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  fixed64(value: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, value), this.pos);
    this.pos += 8;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A length-delimited UTF-8 string (length prefix included). */
  string(value: string): void {
    const mark = this.begin();
    const n = value.length;
    this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: let Node encode the whole string.
        const bytes = Buffer.byteLength(value, "utf8");
        this.pos = mark + 1;
        this.ensure(bytes);
        this.pos += this.buf.write(value, this.pos, bytes, "utf8");
        this.end(mark);
        return;
      }
      buf[pos++] = c;
    }
    this.pos = pos;
    this.end(mark);
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this.raw(value);
  }

  /** Bytes given as hex (ids); an odd length or a non-hex character writes zero nibbles. */
  hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    this.uint32(n);
    this.ensure(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) {
      const hi = HEX_VALUES[hex.charCodeAt(2 * i) & 0x7f]!;
      const lo = HEX_VALUES[hex.charCodeAt(2 * i + 1) & 0x7f]!;
      buf[this.pos++] = ((hi < 0 ? 0 : hi) << 4) | (lo < 0 ? 0 : lo);
    }
  }

  stringField(field: number, value: string): void {
    if (value === "") return;
    this.tag(field, WIRE_LEN);
    this.string(value);
  }

  hexBytesField(field: number, hex: string): void {
    if (hex === "") return;
    this.tag(field, WIRE_LEN);
    this.hexBytes(hex);
  }

  boolField(field: number, value: boolean): void {
    if (!value) return;
    this.tag(field, WIRE_VARINT);
    this.buf[this.pos++] = 1; // tag() reserved 5 bytes; one is left
  }

  enumField(field: number, value: number): void {
    if (value === 0) return;
    this.tag(field, WIRE_VARINT);
    this.uint32(value);
  }

  fixed64Field(field: number, value: bigint): void {
    if (value === 0n) return;
    this.tag(field, WIRE_FIXED64);
    this.fixed64(value);
  }

  /** Starts a length-delimited field body; pass the mark to end(). */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of the body started at `mark`, moving the body if the length needs more than a byte. */
  end(mark: number): void {
    const length = this.pos - mark - 1;
    if (length < 0x80) {
      this.buf[mark] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size - 1);
    this.buf.copyWithin(mark + size, mark + 1, this.pos);
    this.pos += size - 1;
    let at = mark;
    let v = length;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value >>>= 7;
    size++;
  }
  return size;
}
