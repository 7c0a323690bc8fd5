#!/usr/bin/env node
// Installs what the non-TypeScript projects need, as the root postinstall, so
// `npm ci` alone prepares every test: a project-local Python venv (.venv) from
// each examples/*/requirements.txt, the Go modules of each examples/*/go.mod, and
// for each examples/*/pom.xml its Maven dependencies, plugins and protoc (into
// ~/.m2) by building it once without tests.
// A missing toolchain is skipped with a message, and an install that fails
// (no network to PyPI, a JDK too old for the build) is reported, without failing
// `npm ci`: the server, the demo and the TypeScript projects need none of it.
// Under CI=true either fails the install. Set TRACELEDGER_SKIP_POLYGLOT=1 to
// skip it all.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ci = process.env.CI === "true";
if (process.env.TRACELEDGER_SKIP_POLYGLOT === "1") process.exit(0);

const examples = join(root, "examples");
const projects = existsSync(examples) ? readdirSync(examples).map((name) => join(examples, name)) : [];
let failed = false;

const requirements = projects.map((dir) => join(dir, "requirements.txt")).filter(existsSync);
if (requirements.length > 0) installPython(requirements);
for (const dir of projects.filter((d) => existsSync(join(d, "go.mod")))) installGo(dir);
for (const dir of projects.filter((d) => existsSync(join(d, "pom.xml")))) installMaven(dir);
process.exit(failed ? 1 : 0);

function installPython(files) {
  const python = findPython();
  if (!python) return missing("Python 3 (python3)", "the Python projects");
  const venv = join(root, ".venv");
  const stamp = join(venv, ".requirements-hash");
  const hash = createHash("sha256");
  for (const file of files) hash.update(readFileSync(file));
  const digest = hash.digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === digest) return;
  console.log(`traceledger: installing Python dependencies into .venv (${files.length} requirements file(s))`);
  if (!existsSync(join(venv, "bin", "python")) && !run(python, ["-m", "venv", venv])) return missing("python3 -m venv", "the Python projects");
  const pip = [join(venv, "bin", "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"];
  if (!run(pip[0], [...pip.slice(1), ...files.flatMap((f) => ["-r", f])])) return installFailed("pip install", "the Python projects");
  writeFileSync(stamp, digest);
}

function installGo(dir) {
  if (!works("go", ["version"])) return missing("Go (go)", rel(dir));
  console.log(`traceledger: downloading Go modules for ${rel(dir)}`);
  if (!run("go", ["mod", "download"], dir)) installFailed("go mod download", rel(dir));
}

// `dependency:go-offline` misses what plugins resolve as they run (protoc and
// its gRPC plugin), so a package without tests is what fetches everything.
function installMaven(dir) {
  if (!works("mvn", ["-q", "-v"])) return missing("Maven (mvn) with Java 17+", rel(dir));
  console.log(`traceledger: fetching Maven dependencies and building ${rel(dir)}`);
  if (!run("mvn", ["-q", "-B", "-DskipTests", "package"], dir)) installFailed("mvn package", rel(dir));
}

function findPython() {
  for (const candidate of ["python3", "python"]) if (works(candidate, ["--version"])) return candidate;
  return undefined;
}

function missing(what, forWhat) {
  if (ci) {
    console.error(`traceledger: ${what} is required under CI for ${forWhat}`);
    failed = true;
  } else {
    console.warn(`traceledger: ${what} not found; ${forWhat} will be skipped by their tests`);
  }
}

function installFailed(what, forWhat) {
  if (ci) {
    console.error(`traceledger: ${what} failed for ${forWhat}`);
    failed = true;
  } else {
    console.warn(
      `traceledger: ${what} failed for ${forWhat} (output above); the server, the demo and the TypeScript projects do not need it, ` +
        `but the tests of ${forWhat} will fail until \`node tools/install-polyglot-deps.mjs\` succeeds (TRACELEDGER_SKIP_POLYGLOT=1 skips this step)`,
    );
  }
}

function rel(dir) {
  return dir.slice(root.length + 1);
}

function works(cmd, args) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

function run(cmd, args, cwd = root) {
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd });
  return result.status === 0;
}
