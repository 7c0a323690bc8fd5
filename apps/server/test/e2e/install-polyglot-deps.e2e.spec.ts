// The root postinstall (tools/install-polyglot-deps.mjs) run as `npm ci` runs
// it, in a copy of the repository's layout with a stand-in `go` on PATH that
// is present but cannot download (as with the Go proxy out of reach): outside
// CI the install is reported and `npm ci` goes on, since the server and the
// demo need none of it; under CI it fails the install.

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../../../tools/install-polyglot-deps.mjs", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "polyglot-install-"));
mkdirSync(join(root, "tools"));
copyFileSync(SCRIPT, join(root, "tools", "install-polyglot-deps.mjs"));
mkdirSync(join(root, "examples", "service-go"), { recursive: true });
writeFileSync(join(root, "examples", "service-go", "go.mod"), "module example.com/service\n\ngo 1.22\n");
// `go version` works, `go mod download` fails.
const bin = join(root, "bin");
mkdirSync(bin);
writeFileSync(join(bin, "go"), '#!/bin/sh\n[ "$1" = version ] && exit 0\necho "go: module lookup disabled by GOPROXY=off" >&2\nexit 1\n');
chmodSync(join(bin, "go"), 0o755);

afterAll(() => rmSync(root, { recursive: true, force: true }));

function install(env: Record<string, string>) {
  const result = spawnSync(process.execPath, [join(root, "tools", "install-polyglot-deps.mjs")], {
    cwd: root,
    encoding: "utf8",
    // Only the stand-in go and the shell it needs: no python3 or mvn to find.
    env: { PATH: `${bin}:/bin`, HOME: root, ...env },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("the root postinstall when a present toolchain cannot install", () => {
  it("reports it and succeeds outside CI, saying what will not work and how to retry or skip", () => {
    const { status, output } = install({});
    expect(status).toBe(0);
    expect(output).toContain("go mod download failed for examples/service-go");
    expect(output).toContain("node tools/install-polyglot-deps.mjs");
    expect(output).toContain("TRACELEDGER_SKIP_POLYGLOT=1");
  });

  it("fails the install under CI", () => {
    const { status, output } = install({ CI: "true" });
    expect(status).toBe(1);
    expect(output).toContain("go mod download failed for examples/service-go");
  });

  it("does nothing with TRACELEDGER_SKIP_POLYGLOT=1", () => {
    expect(install({ CI: "true", TRACELEDGER_SKIP_POLYGLOT: "1" })).toEqual({ status: 0, output: "" });
  });
});
