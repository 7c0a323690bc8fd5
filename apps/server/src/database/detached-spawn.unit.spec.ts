import childProcess, { spawn as namedSpawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { withDetachedSpawn } from "./detached-spawn.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("withDetachedSpawn", () => {
  it("puts spawn back, in both its forms, after overlapping starts that end in any order", async () => {
    const before = childProcess.spawn;
    let inside: unknown;
    await Promise.all([
      withDetachedSpawn(async () => {
        await pause(30);
      }),
      withDetachedSpawn(async () => {
        inside = childProcess.spawn;
        await pause(5);
      }),
    ]);
    expect(inside).not.toBe(before);
    expect(childProcess.spawn).toBe(before);
    expect(namedSpawn).toBe(before);
  });

  it("puts spawn back when the start fails", async () => {
    const before = childProcess.spawn;
    await expect(withDetachedSpawn(() => Promise.reject(new Error("no")))).rejects.toThrow("no");
    expect(childProcess.spawn).toBe(before);
  });
});
