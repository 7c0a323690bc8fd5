#!/usr/bin/env node
// Runs a project's command only where its toolchain exists. A machine without
// it skips with a clear message; under CI=true a missing toolchain fails, so CI
// can never pass by skipping.
//
// usage: node tools/require-toolchain.mjs --needs "<what>" --probe "<shell command>" -- <command> [args...]
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const split = args.indexOf("--");
if (split < 0) usage("missing -- before the command");
const options = args.slice(0, split);
const command = args.slice(split + 1);
const needs = valueOf("--needs");
const probe = valueOf("--probe");
if (!needs || !probe || command.length === 0) usage("--needs, --probe and a command are required");

const probed = spawnSync(probe, { shell: true, stdio: "pipe" });
if (probed.status !== 0) {
  const detail = (probed.stderr?.toString() || probed.stdout?.toString() || "").trim().split("\n").pop();
  const message = `${needs} is not available here (probe \`${probe}\` failed${detail ? `: ${detail}` : ""}).`;
  if (process.env.CI === "true") {
    console.error(`FAILED: ${message} CI must have it: see .ci/run.`);
    process.exit(1);
  }
  console.warn(`SKIPPED: ${message} Install it to run this project's checks; CI runs them.`);
  process.exit(0);
}

const run = spawnSync(command[0], command.slice(1), { stdio: "inherit" });
if (run.error) {
  console.error(run.error.message);
  process.exit(1);
}
process.exit(run.status ?? 1);

function valueOf(flag) {
  const i = options.indexOf(flag);
  return i >= 0 ? options[i + 1] : undefined;
}

function usage(problem) {
  console.error(`require-toolchain: ${problem}\nusage: require-toolchain --needs WHAT --probe "CMD" -- COMMAND [ARGS...]`);
  process.exit(2);
}
