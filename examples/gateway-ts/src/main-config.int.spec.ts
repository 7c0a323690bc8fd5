// The gateway as its own process (src/main.ts) with a bad setting: one line
// naming it and exit status 2, as the Python and Java services do, not a stack trace.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const GATEWAY_DIR = fileURLToPath(new URL("..", import.meta.url));

it("refuses a TRACING_SAMPLE_RATE the SDK does not take with one line and exit status 2", async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", TRACELEDGER_GRPC: "127.0.0.1:9", NEXT_URL: "", TRACING_SAMPLE_RATE: "5e-1" };
  delete env["NODE_OPTIONS"]; // the test runner's hooks must not reach the gateway
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: GATEWAY_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "close")) as [number | null]; // after its output, unlike "exit"

  expect(code).toBe(2);
  expect(stdout).toBe("");
  expect(stderr).toBe('invalid configuration: TRACING_SAMPLE_RATE="5e-1" must be a number between 0 and 1 in decimal notation (0, 0.25, .5, 1)\n');
});
