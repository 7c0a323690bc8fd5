import { describe, expect, it } from "vitest";
import { listedText, listedTextEnd, MAX_LISTED_TEXT_BYTES, withoutNul } from "./listed-text.js";

describe("listedText", () => {
  it("keeps ordinary text as it is", () => {
    expect(listedText("GET /orders/{id} ✓")).toBe("GET /orders/{id} ✓");
  });

  it("replaces U+0000 with U+FFFD", () => {
    expect(withoutNul("a\u0000b\u0000")).toBe("a\uFFFDb\uFFFD");
    expect(listedText("\u0000")).toBe("\uFFFD");
  });

  it("cuts long text to the byte limit without splitting a character", () => {
    expect(Buffer.byteLength(listedText("x".repeat(5000)))).toBe(MAX_LISTED_TEXT_BYTES);
    const emoji = listedText("🎉".repeat(300)); // 4 bytes each
    expect(Buffer.byteLength(emoji)).toBe(MAX_LISTED_TEXT_BYTES);
    expect(emoji).toBe("🎉".repeat(256));
    const mixed = listedText("a" + "é".repeat(600)); // 1 + 2 bytes each: 1023 fits, the next é would pass
    expect(Buffer.byteLength(mixed)).toBe(1023);
    expect(mixed.endsWith("é")).toBe(true);
  });
});

describe("listedTextEnd", () => {
  it("cuts UTF-8 bytes where listedText cuts the text", () => {
    for (const text of ["short", "x".repeat(5000), "🎉".repeat(300), "a" + "é".repeat(600), "ab" + "€".repeat(400), "\u0000".repeat(600), "x".repeat(1000) + "\u0000".repeat(10), "a\u0000é".repeat(300)]) {
      const bytes = Buffer.concat([Buffer.from("prefix"), Buffer.from(text)]);
      const end = listedTextEnd(bytes, 6, bytes.length);
      expect(withoutNul(bytes.subarray(6, end).toString("utf8")), JSON.stringify(text.slice(0, 8))).toBe(listedText(text));
    }
  });
});
