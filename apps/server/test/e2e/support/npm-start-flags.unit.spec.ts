import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { npmStartNodeFlags } from "./npm-start-flags.js";

const REPO_ROOT = fileURLToPath(new URL("../../../../../", import.meta.url));

const scratch = mkdtempSync(path.join(tmpdir(), "npm-start-flags-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function flagsOf(scripts: Record<string, string>): string[] {
  const root = mkdtempSync(path.join(scratch, "root-"));
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ scripts }));
  return npmStartNodeFlags(root);
}

describe("npmStartNodeFlags", () => {
  it("takes the flags before the script and leaves out --import and its module", () => {
    expect(flagsOf({ start: "node --max-semi-space-size=64 --import tsx --stack-size=2000 apps/server/src/main.ts" })).toEqual([
      "--max-semi-space-size=64",
      "--stack-size=2000",
    ]);
    expect(flagsOf({ start: "node --import tsx apps/server/src/main.ts" })).toEqual([]);
    expect(flagsOf({ start: "exec node --max-semi-space-size=64 --import tsx apps/server/src/main.ts" })).toEqual(["--max-semi-space-size=64"]);
  });

  it("refuses a start script that does not run the server with node", () => {
    expect(() => flagsOf({ start: "tsx apps/server/src/main.ts" })).toThrow(/start script/);
    expect(() => flagsOf({ start: "node --import tsx other.ts" })).toThrow(/start script/);
    expect(() => flagsOf({})).toThrow(/start script/);
  });

  it("reads this repository's start script, and `npm run demo` gives the server the same flags", () => {
    expect(npmStartNodeFlags(REPO_ROOT)).toContain("--max-semi-space-size=64");
    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(manifest.scripts["demo"]).toBe(`${manifest.scripts["start"]} --demo`);
  });
});
