// Protobuf wire primitives over one read position, for the hand-written readers
// of stored events (trace-event-reader and the ListTraces projector's
// listing-event-reader). Every ingested event passes each reader, so the state
// is module-level and the primitives are plain functions, inlined into the
// readers; a reader takes them into module constants (`const { varint } = wire`)
// because a call through an imported binding loads the module's cell first, on
// every call. A reader starts with readWire, reads, and never nests another
// read inside its own; anything the primitives cannot read throws
// WIRE_GIVE_UP, which the reader turns into "let protobuf-es read this payload".
//
// The saga's reader (monitoring/saga-event-reader.ts) keeps its own copies: it
// does so little per event that position() and seek() in place of its own
// variable measured 5-15% slower there (tools/bench/saga-fold.ts).

class WireGiveUp extends Error {}
export const WIRE_GIVE_UP: Error = new WireGiveUp("not a payload the hand-written reader knows");

/** Buffer's own decoders, without toString's argument handling (about 40% of a short string's cost). */
export type SlicingBuffer = Buffer & { utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };

const EMPTY_BUFFER = Buffer.alloc(0) as SlicingBuffer;
let src = EMPTY_BUFFER;
let pos = 0;
let end = 0;
/** The wire type of the field field() last read. */
let lastWireType = 0;
/** The unsigned 32-bit halves of the last varint64Halves(). */
let low = 0;
let high = 0;

/** Reads `buffer` from `start` up to `limit`. */
export function readWire(buffer: Buffer, start: number, limit: number): void {
  src = buffer as SlicingBuffer;
  pos = start;
  end = limit;
}

/** Lets go of the buffer read last, so the reader holds no payload between reads. */
export function releaseWire(): void {
  src = EMPTY_BUFFER;
  pos = 0;
  end = 0;
}

export function position(): number {
  return pos;
}

/** Moves the position, unchecked: to a place a primitive has checked (lengthEnd) or read before. */
export function seek(to: number): void {
  pos = to;
}

/** Where the read ends (the limit given to readWire). */
export function wireLimit(): number {
  return end;
}

/** A varint's low 32 bits (tags, lengths, int32 and enum fields: protobuf-es keeps the same bits); up to 10 bytes. */
export function varint(): number {
  // Most are one byte (tags, short lengths). The rest is out of line, so that
  // inlining varint at every call site spends little of the reader's inlining budget.
  if (pos < end) {
    const byte = src[pos]!;
    if (byte < 0x80) {
      pos++;
      return byte;
    }
  }
  return longVarint();
}

function longVarint(): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end) throw WIRE_GIVE_UP;
    const byte = src[pos++]!;
    if (shift < 28) result |= (byte & 0x7f) << shift;
    else if (shift === 28) result |= (byte & 0x0f) << 28;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift > 63) throw WIRE_GIVE_UP;
  }
}

/** A varint's 64 bits into lowHalf() and highHalf(), unsigned, without making a bigint. */
export function varint64Halves(): void {
  if (pos < end) {
    const byte = src[pos]!;
    if (byte < 0x80) {
      pos++;
      low = byte;
      high = 0;
      return;
    }
  }
  longVarint64();
}

function longVarint64(): void {
  let l = 0;
  let h = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end) throw WIRE_GIVE_UP;
    const byte = src[pos++]!;
    const bits = byte & 0x7f;
    if (shift < 28) l |= bits << shift;
    else if (shift === 28) {
      l |= (bits & 0x0f) << 28;
      h |= bits >>> 4;
    } else h |= bits << (shift - 32);
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 63) throw WIRE_GIVE_UP;
  }
  low = l >>> 0;
  high = h >>> 0;
}

export function lowHalf(): number {
  return low;
}

export function highHalf(): number {
  return high;
}

/** A varint as an unsigned 64-bit integer (uint64; BigInt.asIntN(64, ...) for int64). */
export function varint64(): bigint {
  varint64Halves();
  return (BigInt(high) << 32n) | BigInt(low);
}

export function fixed32(): number {
  if (pos + 4 > end) throw WIRE_GIVE_UP;
  const value = src.readUInt32LE(pos);
  pos += 4;
  return value;
}

// Times of one log share their high 32 bits for 4.3 s: that half is made a
// bigint once, so a time costs one BigInt and one addition, not readBigUInt64LE's four.
let highWord = -1;
let highBig = 0n;

export function fixed64(): bigint {
  if (pos + 8 > end) throw WIRE_GIVE_UP;
  const lowWord = src.readUInt32LE(pos);
  const word = src.readUInt32LE(pos + 4);
  pos += 8;
  if (word !== highWord) {
    highBig = BigInt(word) << 32n;
    highWord = word;
  }
  return highBig + BigInt(lowWord);
}

export function double(): number {
  if (pos + 8 > end) throw WIRE_GIVE_UP;
  const value = src.readDoubleLE(pos);
  pos += 8;
  return value;
}

/** Reads a length and answers where the field it prefixes ends, checked against the limit. */
export function lengthEnd(): number {
  const length = varint() >>> 0;
  const fieldEnd = pos + length;
  if (fieldEnd > end) throw WIRE_GIVE_UP;
  return fieldEnd;
}

/** A length-delimited field as UTF-8 text. */
export function string(): string {
  const fieldEnd = lengthEnd();
  const value = fieldEnd === pos ? "" : src.utf8Slice(pos, fieldEnd);
  pos = fieldEnd;
  return value;
}

/** A length-delimited field as lowercase hex ("" when empty). */
export function hex(): string {
  const fieldEnd = lengthEnd();
  const value = fieldEnd === pos ? "" : src.hexSlice(pos, fieldEnd);
  pos = fieldEnd;
  return value;
}

/**
 * The next field's number, its wire type (wireType()) checked against the
 * message's: `wireTypes[n]` is the wire type of field n, for the fields the
 * message declares; a field it does not declare may have any wire type.
 */
export function field(wireTypes: readonly number[]): number {
  const tag = varint() >>> 0;
  const number = tag >>> 3;
  lastWireType = tag & 7;
  if (number === 0 || (number < wireTypes.length && wireTypes[number] !== lastWireType)) throw WIRE_GIVE_UP;
  return number;
}

/** The wire type of the field field() read last. */
export function wireType(): number {
  return lastWireType;
}

/** Steps over the field field() read last, by its wire type. */
export function skip(): void {
  switch (lastWireType) {
    case 0:
      varint();
      return;
    case 1:
      pos += 8;
      break;
    case 2:
      pos = lengthEnd();
      return;
    case 5:
      pos += 4;
      break;
    default:
      throw WIRE_GIVE_UP;
  }
  if (pos > end) throw WIRE_GIVE_UP;
}
