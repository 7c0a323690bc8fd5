// The wire primitives against protobuf-es's BinaryWriter: what it writes they
// read back, and what is cut short or malformed they refuse with WIRE_GIVE_UP
// (the readers' cue to let protobuf-es read the payload).

import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { afterEach, describe, expect, it } from "vitest";
import {
  WIRE_GIVE_UP,
  double,
  field,
  fixed32,
  fixed64,
  hex,
  highHalf,
  lengthEnd,
  lowHalf,
  position,
  readWire,
  releaseWire,
  seek,
  skip,
  string,
  varint,
  varint64,
  varint64Halves,
  wireLimit,
  wireType,
} from "./wire-primitives.js";

function read(bytes: Uint8Array): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  readWire(buffer, 0, buffer.length);
}

/** Whether `readOne` refuses the bytes with WIRE_GIVE_UP. */
function refuses(bytes: Uint8Array, readOne: () => unknown): boolean {
  read(bytes);
  try {
    readOne();
    return false;
  } catch (error) {
    if (error === WIRE_GIVE_UP) return true;
    throw error;
  }
}

afterEach(releaseWire);

describe("wire primitives", () => {
  it("read varints of one to ten bytes, keeping a 32-bit varint's low bits as protobuf-es does", () => {
    const values = [0, 1, 127, 128, 300, 0x7fffffff, -1, -2147483648];
    const w = new BinaryWriter();
    for (const v of values) w.int32(v);
    read(w.finish());
    expect(values.map(() => varint() | 0)).toEqual(values);
    expect(position()).toBe(wireLimit());

    // int32(-1) is ten bytes on the wire: 0xff x 9, then 0x01.
    read(new BinaryWriter().int32(-1).finish());
    expect(varint() >>> 0).toBe(0xffffffff);
    expect(position()).toBe(10);
  });

  it("read 64-bit varints whole and as unsigned 32-bit halves", () => {
    const values = [0n, 1n, 0xffffffffn, 0x100000000n, 0x123456789abcdefn, 0xffffffffffffffffn, 1n << 63n];
    const w = new BinaryWriter();
    for (const v of values) w.uint64(v);
    read(w.finish());
    expect(values.map(() => varint64())).toEqual(values);

    read(new BinaryWriter().int64(-2n).uint64(0x8000000012345678n).finish());
    varint64Halves();
    expect([lowHalf(), highHalf()]).toEqual([0xfffffffe, 0xffffffff]);
    varint64Halves();
    expect([lowHalf(), highHalf()]).toEqual([0x12345678, 0x80000000]);
    expect(position()).toBe(wireLimit());
  });

  it("refuse a varint longer than ten bytes and one cut short", () => {
    expect(refuses(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), varint)).toBe(true);
    expect(refuses(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), varint64)).toBe(true);
    expect(refuses(new Uint8Array([0x80, 0x80]), varint)).toBe(true);
    expect(refuses(new Uint8Array([0xff]), varint64)).toBe(true);
    expect(refuses(new Uint8Array([]), varint)).toBe(true);
  });

  it("read fixed-width numbers, and refuse them cut short", () => {
    const times = [0n, 1n, 1_764_100_000_000_000_000n, 1_764_100_004_300_000_000n, 0xffffffffffffffffn];
    const w = new BinaryWriter();
    for (const t of times) w.fixed64(t);
    w.fixed32(0xdeadbeef).double(-1.5);
    read(w.finish());
    expect(times.map(() => fixed64())).toEqual(times);
    expect(fixed32()).toBe(0xdeadbeef);
    expect(double()).toBe(-1.5);

    expect(refuses(new Uint8Array(7), fixed64)).toBe(true);
    expect(refuses(new Uint8Array(3), fixed32)).toBe(true);
    expect(refuses(new Uint8Array(7), double)).toBe(true);
  });

  it("read length-delimited text and hex, and refuse a length past the end", () => {
    read(new BinaryWriter().string("héllo").string("").bytes(new Uint8Array([0x00, 0xab, 0x10])).finish());
    expect(string()).toBe("héllo");
    expect(string()).toBe("");
    expect(hex()).toBe("00ab10");
    expect(position()).toBe(wireLimit());

    const cut = new BinaryWriter().string("hello").finish().subarray(0, 4);
    expect(refuses(cut, string)).toBe(true);
    expect(refuses(cut, lengthEnd)).toBe(true);
  });

  it("read only up to the limit given, as for a payload inside a larger buffer", () => {
    const page = Buffer.from(new BinaryWriter().string("ab").string("cd").finish());
    readWire(page, 0, 3);
    expect(string()).toBe("ab");
    expect(() => string()).toThrow(WIRE_GIVE_UP);
    readWire(page, 3, page.length);
    expect(string()).toBe("cd");
    seek(3);
    expect(lengthEnd()).toBe(6);
  });

  it("step over a field of every wire type, and refuse group and unknown wire types", () => {
    const w = new BinaryWriter()
      .tag(1, WireType.Varint)
      .int64(-1n)
      .tag(2, WireType.Bit64)
      .fixed64(7n)
      .tag(3, WireType.LengthDelimited)
      .string("skipped")
      .tag(4, WireType.Bit32)
      .fixed32(9)
      .tag(5, WireType.Varint)
      .uint32(42);
    read(w.finish());
    const seen: Array<[number, number]> = [];
    for (let i = 0; i < 4; i++) {
      seen.push([field([]), wireType()]);
      skip();
    }
    expect(seen).toEqual([
      [1, WireType.Varint],
      [2, WireType.Bit64],
      [3, WireType.LengthDelimited],
      [4, WireType.Bit32],
    ]);
    expect(field([])).toBe(5);
    expect(varint()).toBe(42);
    expect(position()).toBe(wireLimit());

    for (const t of [WireType.StartGroup, WireType.EndGroup, 6, 7]) {
      expect(refuses(new Uint8Array([(1 << 3) | t, 0]), () => (field([]), skip()))).toBe(true);
    }
  });

  it("refuse a skip cut short, for every wire type", () => {
    expect(refuses(new Uint8Array([0x08, 0x80]), () => (field([]), skip()))).toBe(true);
    expect(refuses(new Uint8Array([0x09, 1, 2, 3, 4, 5, 6, 7]), () => (field([]), skip()))).toBe(true);
    expect(refuses(new Uint8Array([0x0a, 3, 1, 2]), () => (field([]), skip()))).toBe(true);
    expect(refuses(new Uint8Array([0x0d, 1, 2, 3]), () => (field([]), skip()))).toBe(true);
  });

  it("refuse field number 0 and a declared field of another wire type, and pass undeclared fields", () => {
    const declared = [-1, WireType.LengthDelimited, WireType.Varint];
    expect(refuses(new Uint8Array([0x00, 0x00]), () => field(declared))).toBe(true);
    expect(refuses(new BinaryWriter().tag(1, WireType.Varint).uint32(1).finish(), () => field(declared))).toBe(true);
    expect(refuses(new BinaryWriter().tag(2, WireType.Bit64).fixed64(1n).finish(), () => field(declared))).toBe(true);
    read(new BinaryWriter().tag(2, WireType.Varint).uint32(1).tag(9, WireType.Bit32).fixed32(1).finish());
    expect(field(declared)).toBe(2);
    varint();
    expect(field(declared)).toBe(9);
    expect(wireType()).toBe(WireType.Bit32);
  });
});
