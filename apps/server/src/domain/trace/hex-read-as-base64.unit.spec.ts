import { describe, expect, it } from "vitest";
import { hexReadAsBase64Hint } from "./hex-read-as-base64.js";

const bytesHex = (base64: string) => Buffer.from(base64, "base64").toString("hex");

describe("hexReadAsBase64Hint", () => {
  it("names a hex trace id read as base64, and the base64 to send", () => {
    const sent = "592e1cc799eadb347f9761b061cbbfa8";
    expect(hexReadAsBase64Hint(bytesHex(sent), 16)).toBe(
      `; "${sent}" looks like a hex id, but JSON carries bytes as base64: send "${Buffer.from(sent, "hex").toString("base64")}"`,
    );
  });

  it("does the same for a span id, upper-case hex included", () => {
    const sent = "00F067AA0BA902B7";
    expect(hexReadAsBase64Hint(bytesHex(sent), 8)).toContain(`send "${Buffer.from(sent, "hex").toString("base64")}"`);
  });

  it("says nothing for other lengths or bytes that are not hex read as base64", () => {
    expect(hexReadAsBase64Hint("ab".repeat(10), 16)).toBe("");
    expect(hexReadAsBase64Hint(bytesHex("zzzz".repeat(8)), 16)).toBe("");
    expect(hexReadAsBase64Hint("ff".repeat(12), 8)).toBe("");
  });
});
