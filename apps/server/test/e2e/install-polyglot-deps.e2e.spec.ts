// The root postinstall (tools/install-polyglot-deps.mjs) run as `npm ci` runs
// it, in a copy of the repository's layout with stand-in toolchains on PATH
// that are present but cannot install (as with the Go proxy, PyPI or Maven
// Central out of reach): outside CI the install is reported and `npm ci` goes
// on, since the server and the demo need none of it; under CI it fails the install.

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../../../tools/install-polyglot-deps.mjs", import.meta.url));
const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A copy of the repository's layout: the script, one example project's files, and the given stand-in commands in bin/. */
function layout(project: string, files: Record<string, string>, commands: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "polyglot-install-"));
  roots.push(root);
  mkdirSync(join(root, "tools"));
  copyFileSync(SCRIPT, join(root, "tools", "install-polyglot-deps.mjs"));
  mkdirSync(join(root, "examples", project), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, "examples", project, name), text);
  mkdirSync(join(root, "bin"));
  for (const [name, script] of Object.entries(commands)) {
    writeFileSync(join(root, "bin", name), script);
    chmodSync(join(root, "bin", name), 0o755);
  }
  return root;
}

function installer(root: string) {
  return (env: Record<string, string>) => {
    const result = spawnSync(process.execPath, [join(root, "tools", "install-polyglot-deps.mjs")], {
      cwd: root,
      encoding: "utf8",
      // Only the stand-ins and the shell they need: no other toolchain to find.
      env: { PATH: `${join(root, "bin")}:/bin`, HOME: root, ...env },
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };
}

// `go version` works, `go mod download` fails.
const install = installer(
  layout("service-go", { "go.mod": "module example.com/service\n\ngo 1.22\n" }, { go: '#!/bin/sh\n[ "$1" = version ] && exit 0\necho "go: module lookup disabled by GOPROXY=off" >&2\nexit 1\n' }),
);

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
    // The go failure alone: no toolchain is missing in this layout.
    expect(output).not.toContain("is required under CI");
  });

  // `python3 --version` and `python3 -m venv` work; the venv's python cannot install (PyPI out of reach).
  const pythonLayout = () =>
    layout(
      "service-python",
      { "requirements.txt": "grpcio==1.66.0\n" },
      {
        python3:
          '#!/bin/sh\n[ "$1" = --version ] && { echo "Python 3.12.0"; exit 0; }\n' +
          'if [ "$1" = -m ] && [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "${0%/*}/venv-python" "$3/bin/python"; exit $?; fi\nexit 2\n',
        "venv-python": '#!/bin/sh\n[ "$1 $2 $3" = "-m pip install" ] || exit 2\necho "ERROR: Could not find a version that satisfies the requirement grpcio" >&2\nexit 1\n',
      },
    );

  it.each([
    ["outside CI, reports it and succeeds", {}, 0],
    ["under CI, fails the install", { CI: "true" }, 1],
  ] as const)("when pip install fails, %s, and leaves no stamp that would skip the next try", (_, env, exit) => {
    const python = pythonLayout();
    const { status, output } = installer(python)(env);
    expect(output).toContain("pip install failed for the Python projects");
    expect(status).toBe(exit);
    expect(existsSync(join(python, ".venv", "bin", "python"))).toBe(true);
    expect(existsSync(join(python, ".venv", ".requirements-hash"))).toBe(false);
  });

  // `mvn -q -v` works, `mvn package` fails (Maven Central out of reach).
  const maven = layout(
    "service-java",
    { "pom.xml": "<project/>\n" },
    { mvn: '#!/bin/sh\n[ "$*" = "-q -v" ] && exit 0\necho "[ERROR] Failed to execute goal: Could not resolve dependencies" >&2\nexit 1\n' },
  );

  it.each([
    ["outside CI, reports it and succeeds", {}, 0],
    ["under CI, fails the install", { CI: "true" }, 1],
  ] as const)("when mvn package fails, %s", (_, env, exit) => {
    const { status, output } = installer(maven)(env);
    expect(output).toContain("mvn package failed for examples/service-java");
    expect(status).toBe(exit);
  });

  it("does nothing with TRACELEDGER_SKIP_POLYGLOT=1", () => {
    expect(install({ CI: "true", TRACELEDGER_SKIP_POLYGLOT: "1" })).toEqual({ status: 0, output: "" });
  });
});
