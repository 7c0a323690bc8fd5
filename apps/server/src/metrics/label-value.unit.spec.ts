import { describe, expect, it } from "vitest";
import { MAX_LABEL_VALUE_BYTES, labelValue } from "./label-value.js";

const bytes = (text: string) => Buffer.byteLength(text);

describe("labelValue", () => {
  it("keeps a value that fits as it is", () => {
    const fits = "x".repeat(MAX_LABEL_VALUE_BYTES);
    expect(labelValue("POST /orders")).toBe("POST /orders");
    expect(labelValue(fits)).toBe(fits);
    expect(labelValue("é".repeat(MAX_LABEL_VALUE_BYTES / 2))).toBe("é".repeat(MAX_LABEL_VALUE_BYTES / 2));
    expect(labelValue("")).toBe("");
  });

  it("cuts a longer value to its first MAX_LABEL_VALUE_BYTES bytes of UTF-8", () => {
    expect(labelValue("x".repeat(2 * 1024 * 1024))).toBe("x".repeat(MAX_LABEL_VALUE_BYTES));
    expect(labelValue(`${"é".repeat(MAX_LABEL_VALUE_BYTES / 2)}!`)).toBe("é".repeat(MAX_LABEL_VALUE_BYTES / 2));
  });

  it("never cuts inside a character: 2-, 3- and 4-byte ones, surrogate pairs included", () => {
    // 1 + 127 * 2 = 255 bytes; the next "é" would make 257.
    expect(labelValue(`a${"é".repeat(200)}`)).toBe(`a${"é".repeat(127)}`);
    // 85 * 3 = 255 bytes.
    expect(labelValue("€".repeat(200))).toBe("€".repeat(85));
    // 1 + 63 * 4 = 253 bytes: never half of the 64th pair.
    const cut = labelValue(`a${"😀".repeat(100)}`);
    expect(cut).toBe(`a${"😀".repeat(63)}`);
    expect(Buffer.from(cut).toString()).toBe(cut);
  });

  it("counts a lone surrogate as UTF-8 writes it (U+FFFD, 3 bytes), so the written value still fits", () => {
    for (const text of ["\ud800".repeat(200), `${"x".repeat(254)}\udc00`, `${"y".repeat(200)}${"\ud83d".repeat(50)}`]) {
      const cut = labelValue(text);
      expect(text.startsWith(cut)).toBe(true);
      expect(bytes(cut)).toBeLessThanOrEqual(MAX_LABEL_VALUE_BYTES);
      expect(bytes(cut)).toBeGreaterThan(MAX_LABEL_VALUE_BYTES - 4);
    }
  });
});
