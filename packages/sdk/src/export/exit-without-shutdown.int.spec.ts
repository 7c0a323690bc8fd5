// A script whose event loop empties without tracer.shutdown() gets the shutdown
// it forgot: its spans ship, the spans it left open end as CANCELLED, and it
// exits within shutdownTimeoutMs even when the server takes calls and never
// answers (the call's own deadline, TRACELEDGER_TIMEOUT_MS, is far longer here).

import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { SpanEndReason, SpanState } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { eventually } from "../../test/support/eventually.js";
import { getTrace, spanNamed } from "../../test/support/trace-reader.js";
import { serverPerFile } from "../../test/support/server-per-file.js";
import { createTracingClient } from "../client/tracing-client.js";

const e2e = serverPerFile();

describe("a script that never calls shutdown()", () => {
  it("ships its spans and ends the ones left open as CANCELLED when its event loop empties", async () => {
    const { code, stdout: traceId } = await runScript(`http://${e2e.server.grpcAddress}`, 5_000);
    expect(code).toBe(0);
    const reader = createTracingClient({ url: `http://${e2e.server.grpcAddress}` });
    try {
      const trace = await eventually(async () => {
        const t = await getTrace(reader, traceId);
        expect(t?.spans.filter((s) => s.state === SpanState.ENDED)).toHaveLength(3);
        return t!;
      });
      expect(spanNamed(trace, "finished").endReason).toBe(SpanEndReason.COMPLETED);
      expect(spanNamed(trace, "left open").endReason).toBe(SpanEndReason.CANCELLED);
      expect(spanNamed(trace, "script").endReason).toBe(SpanEndReason.CANCELLED);
    } finally {
      reader.close();
    }
  });

  // The test's own timeout is past the call deadline's minute would need: the bound below is what fails.
  it("exits within shutdownTimeoutMs when the server never answers, saying what it dropped", { timeout: 90_000 }, async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      // Each call's deadline is a minute: only the shutdown's bound lets it exit sooner.
      const { code, stderr, exitedWithinMs } = await runScript(`http://127.0.0.1:${port}`, 300, 60_000);
      expect(code).toBe(0);
      // 300 ms of shutdown plus a Node start with tsx; without the shutdown, the minute's deadline.
      expect(exitedWithinMs).toBeLessThan(15_000);
      expect(stderr).toContain("shutdown ran out of time");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

interface ScriptRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitedWithinMs: number;
}

function runScript(url: string, shutdownTimeoutMs: number, timeoutMs = 10_000): Promise<ScriptRun> {
  const script = fileURLToPath(new URL("../../test/support/forgetful-script.ts", import.meta.url));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TRACELEDGER_URL: url,
    TRACELEDGER_TIMEOUT_MS: String(timeoutMs),
    SCRIPT_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
  };
  delete env["NODE_OPTIONS"]; // the test runner's hooks must not reach the script
  delete env["TRACING_ENABLED"];
  delete env["TRACING_SAMPLE_RATE"];
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: fileURLToPath(new URL("../..", import.meta.url)), env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr, exitedWithinMs: Date.now() - started }));
  });
}
