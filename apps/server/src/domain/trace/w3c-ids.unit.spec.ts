import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes, isValidSpanId, isValidTraceId } from "./w3c-ids.js";

describe("ids as hex and as bytes", () => {
  it("turns bytes to lowercase hex and back, for every length", () => {
    for (let length = 0; length <= 40; length++) {
      const bytes = randomBytes(length);
      const hex = bytesToHex(bytes);
      expect(hex).toBe(bytes.toString("hex"));
      const back = hexToBytes(hex);
      expect(Buffer.isBuffer(back)).toBe(false);
      expect(Buffer.from(back).equals(bytes)).toBe(true);
    }
  });

  it("accepts W3C ids only: 32 or 16 lowercase hex characters, not all zero", () => {
    expect(isValidTraceId("4bf92f3577b34da6a3ce929d0e0e4736")).toBe(true);
    expect(isValidTraceId("4BF92F3577B34DA6A3CE929D0E0E4736")).toBe(false);
    expect(isValidTraceId("0".repeat(32))).toBe(false);
    expect(isValidSpanId("00f067aa0ba902b7")).toBe(true);
    expect(isValidSpanId("00f067aa0ba902b")).toBe(false);
  });
});
