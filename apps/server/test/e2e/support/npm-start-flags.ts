// The node flags `npm start` gives the server: the root package.json's start
// script, between `[exec] node` and the script, without `--import tsx`. Whatever starts
// the server as its own process (these tests, the benchmarks) starts it as
// users do.

import { readFileSync } from "node:fs";
import path from "node:path";

export function npmStartNodeFlags(repoRoot: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const script = manifest.scripts?.["start"] ?? "";
  // `exec`: npm's shell becomes the server, so a signal npm forwards reaches it.
  const words = script.split(/\s+/).filter((word, i) => !(i === 0 && word === "exec"));
  if (words[0] !== "node" || !words.includes("apps/server/src/main.ts")) {
    throw new Error(`package.json's start script is not "[exec] node [flags] apps/server/src/main.ts": ${script}`);
  }
  const flags: string[] = [];
  for (let i = 1; i < words.length && words[i]!.startsWith("--"); i++) {
    if (words[i] === "--import") i++;
    else flags.push(words[i]!);
  }
  return flags;
}
