import childProcess, { spawn as namedSpawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
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

  it("hands each start the PostgreSQL server it spawned, at its spawn, and nothing else", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "tl-detached-"));
    try {
      const postgres = path.join(folder, "postgres");
      await writeFile(postgres, "#!/bin/sh\nexit 0\n");
      await chmod(postgres, 0o755);
      const exited = (child: ChildProcess) => new Promise((resolve) => child.once("exit", resolve));
      const start = async (name: string, seen: { name: string; pid: number | undefined }[]) => {
        await pause(5);
        await exited(namedSpawn("true", []));
        const server = namedSpawn(postgres, ["-D", name]);
        expect(seen).toEqual([{ name, pid: server.pid }]);
        await exited(server);
      };
      const a: { name: string; pid: number | undefined }[] = [];
      const b: { name: string; pid: number | undefined }[] = [];
      await Promise.all([
        withDetachedSpawn(() => start("a", a), (server) => a.push({ name: server.spawnargs[2]!, pid: server.pid })),
        withDetachedSpawn(() => start("b", b), (server) => b.push({ name: server.spawnargs[2]!, pid: server.pid })),
      ]);
      expect(a.map((s) => s.name)).toEqual(["a"]);
      expect(b.map((s) => s.name)).toEqual(["b"]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
