import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { utf8Prefix } from "./utf8-prefix.js";

const bytes = (text: string) => Buffer.byteLength(text);

describe("utf8Prefix", () => {
  it("keeps text that fits as it is", () => {
    expect(utf8Prefix("POST /orders", 16)).toBe("POST /orders");
    expect(utf8Prefix("é".repeat(8), 16)).toBe("é".repeat(8));
    expect(utf8Prefix("", 16)).toBe("");
  });

  it("cuts longer text at a character boundary: 2-, 3- and 4-byte characters", () => {
    expect(utf8Prefix("x".repeat(100), 16)).toBe("x".repeat(16));
    expect(utf8Prefix(`a${"é".repeat(20)}`, 16)).toBe(`a${"é".repeat(7)}`);
    expect(utf8Prefix("€".repeat(20), 16)).toBe("€".repeat(5));
    expect(utf8Prefix(`a${"😀".repeat(20)}`, 16)).toBe(`a${"😀".repeat(3)}`);
  });

  it("counts each character's bytes exactly at the size boundaries (U+0080, U+0800, U+10FFFF)", () => {
    for (const [text, limit] of [
      ["\u007f".repeat(40), 16],
      ["\u0080".repeat(40), 16],
      ["\u07ff".repeat(40), 16],
      ["\u0800".repeat(40), 15],
      ["\uffff".repeat(40), 15],
      ["\u{10000}".repeat(40), 16],
      ["\u{10FFFF}".repeat(40), 16],
    ] as const) {
      const cut = utf8Prefix(text, limit);
      expect(bytes(cut), JSON.stringify(text[0])).toBe(limit);
      expect(text.startsWith(cut)).toBe(true);
      // Never half of a surrogate pair.
      expect(Buffer.from(cut).toString()).toBe(cut);
    }
  });

  it("counts a lone surrogate as the 3 bytes UTF-8 writes for it", () => {
    for (const text of ["\ud800".repeat(20), `${"x".repeat(14)}\udc00xx`]) {
      const cut = utf8Prefix(text, 16);
      expect(text.startsWith(cut)).toBe(true);
      expect(bytes(cut)).toBeLessThanOrEqual(16);
    }
  });

  it("returns a cut prefix that does not keep the original alive (V8 keeps a slice's parent string)", () => {
    // In a process of its own, with the collector exposed: 50 prefixes of 2 MB strings.
    const script = `
      import { utf8Prefix } from ${JSON.stringify(new URL("./utf8-prefix.ts", import.meta.url).href)};
      const kept = [];
      for (let i = 0; i < 50; i++) kept.push(utf8Prefix(String(i) + "y".repeat(2000000), 256));
      globalThis.gc();
      console.log(JSON.stringify({ heap: process.memoryUsage().heapUsed, kept: kept.length }));`;
    const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const { heap, kept } = JSON.parse(run.stdout) as { heap: number; kept: number };
    expect(kept).toBe(50);
    // The 50 originals alone would be 100 MB.
    expect(heap).toBeLessThan(40_000_000);
  });
});
