// docs/architecture.md is the map a newcomer reads first: every folder of
// apps/server/src/ is named in its Layout block, every proto package folder is
// under a path the block names, and every file of proto/traceledger/v1 has a row
// in its Contracts table. A folder or contract added without its line fails here.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../../../", import.meta.url);
const architecture = readFileSync(new URL("docs/architecture.md", ROOT), "utf8");

function section(heading: string): string {
  const start = architecture.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/architecture.md has no "## ${heading}" section`);
  const end = architecture.indexOf("\n## ", start + 1);
  return architecture.slice(start, end < 0 ? undefined : end);
}

const layout = /```\n([\s\S]*?)```/.exec(section("Layout"))?.[1] ?? "";

/** The paths a Layout line starts with: `  rpc/ingest/   ...` names rpc/ingest/; `  config/, log/, demo/   ...` names three. */
function namedPaths(line: string): string[] {
  const head = line.trim().split(/\s{2,}/)[0] ?? "";
  return head.split(/,\s*/).filter((path) => path.endsWith("/"));
}

/** The first-level folders the Layout names under apps/server/src/ (its indented lines). */
function serverFoldersNamed(): Set<string> {
  const lines = layout.split("\n");
  const start = lines.indexOf("apps/server/src/");
  const named = new Set<string>();
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("  ")) break;
    for (const path of namedPaths(line)) named.add(path.split("/")[0]!);
  }
  return named;
}

function folders(url: URL): string[] {
  return readdirSync(url, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

/** proto/ folders that hold .proto files, as `proto/a/b/`. */
function protoFolders(relative = "proto/"): string[] {
  const entries = readdirSync(new URL(relative, ROOT), { withFileTypes: true });
  const own = entries.some((entry) => entry.isFile() && entry.name.endsWith(".proto")) ? [relative] : [];
  return [...own, ...entries.filter((entry) => entry.isDirectory()).flatMap((entry) => protoFolders(`${relative}${entry.name}/`))];
}

describe("docs/architecture.md against the tree", () => {
  it("names every folder of apps/server/src/ in the Layout block", () => {
    const named = serverFoldersNamed();
    expect(named.size).toBeGreaterThan(0);
    const missing = folders(new URL("apps/server/src/", ROOT)).filter((folder) => !named.has(folder));
    expect(missing, "folders of apps/server/src/ the Layout block does not name").toEqual([]);
  });

  it("puts every proto package folder under a path the Layout block names", () => {
    const named = layout.split("\n").flatMap(namedPaths).filter((path) => path.startsWith("proto/"));
    const missing = protoFolders().filter((folder) => !named.some((path) => folder.startsWith(path)));
    expect(missing, "proto/ folders the Layout block does not name").toEqual([]);
  });

  it("has a Contracts row for every file of proto/traceledger/v1", () => {
    const contracts = section("Contracts (proto/traceledger/v1)");
    const files = readdirSync(new URL("proto/traceledger/v1/", ROOT)).filter((file) => file.endsWith(".proto"));
    expect(files.length).toBeGreaterThan(0);
    const missing = files.filter((file) => !contracts.includes(`| \`${file}\` |`));
    expect(missing, "proto/traceledger/v1 files without a row in the Contracts table").toEqual([]);
  });
});
