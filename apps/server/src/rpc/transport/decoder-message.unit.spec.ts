import { describe, expect, it } from "vitest";
import { DECODER_MESSAGE_CHARS, shortDecoderMessage } from "./decoder-message.js";

describe("a decoder's message", () => {
  it("up to the limit, is kept whole", () => {
    const message = "x".repeat(DECODER_MESSAGE_CHARS);
    expect(shortDecoderMessage(message)).toBe(message);
  });

  it("past it, is cut, with its length", () => {
    expect(shortDecoderMessage("x".repeat(4_000_000))).toBe(`${"x".repeat(DECODER_MESSAGE_CHARS)}… (4000000 characters)`);
  });

  it("is not cut between the halves of a character outside the BMP", () => {
    const message = `${"x".repeat(DECODER_MESSAGE_CHARS - 1)}😀${"y".repeat(10)}`;
    expect(shortDecoderMessage(message)).toBe(`${"x".repeat(DECODER_MESSAGE_CHARS - 1)}… (${message.length} characters)`);
  });
});
