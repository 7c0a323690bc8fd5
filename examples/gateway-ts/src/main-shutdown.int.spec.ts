// The gateway as its own process (src/main.ts), stopped with SIGTERM: a
// traceledger that never answers must not hold the stop up beyond its bound,
// and a request in progress still gets its answer before the process exits.
// Run as its README says (`npm start`), a SIGTERM to npm (a supervisor's stop)
// stops the gateway too: the script execs node, so npm's signal reaches it.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";

const GATEWAY_DIR = fileURLToPath(new URL("..", import.meta.url));
const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

it("stops within its flush bound although traceledger never answers", async () => {
  const silent = await blackhole();
  const gateway = await startGateway({ TRACELEDGER_GRPC: silent });
  expect((await fetch(`${gateway.url}/work`)).status).toBe(200); // its span waits in the queue

  const began = performance.now();
  gateway.child.kill("SIGTERM");
  const [code] = (await once(gateway.child, "exit")) as [number | null];
  const took = performance.now() - began;
  console.log(`exited ${Math.round(took)} ms after SIGTERM`);
  expect(code).toBe(0);
  // FLUSH_MS is 2 s; before it was bounded, the SDK's default (5 s) held the stop for 6 s.
  expect(took).toBeLessThan(4_000);
});

it("lets a request in progress answer before it exits", async () => {
  let reachedNext: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (reachedNext = resolve));
  const next = createServer((_request, response) => {
    reachedNext();
    setTimeout(() => response.end(JSON.stringify({ service: "next" })), 1_000);
  });
  const nextUrl = `http://${await listen(next)}`;
  cleanups.push(() => next.close());
  // Tracing off: the flush is instant, which is when a stop that does not drain cuts the request off.
  const gateway = await startGateway({ NEXT_URL: nextUrl, TRACING_ENABLED: "false" });

  const answer = fetch(`${gateway.url}/work`);
  await reached;
  gateway.child.kill("SIGTERM");
  const response = await answer;
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ service: "gateway-ts", downstream: { service: "next" } });
  const [code] = (await once(gateway.child, "exit")) as [number | null];
  expect(code).toBe(0);
});

it("run by npm start, stops with npm on SIGTERM and frees its port", async () => {
  const gateway = await startGateway({ TRACING_ENABLED: "false" }, ["npm", "start", "--silent"]);
  gateway.child.kill("SIGTERM");
  const [code] = (await once(gateway.child, "exit")) as [number | null];
  expect(code).toBe(0);
  // Before the script exec'd node, npm exited and left the gateway serving on its port.
  await expect(fetch(`${gateway.url}/work`)).rejects.toThrow();
});

async function startGateway(env: Record<string, string>, command = [process.execPath, "--import", "tsx", "src/main.ts"]): Promise<{ child: ChildProcess; url: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: "0", TRACELEDGER_GRPC: "127.0.0.1:9", NEXT_URL: "", ...env };
  delete childEnv["NODE_OPTIONS"]; // the test runner's hooks must not reach the gateway
  const child = spawn(command[0]!, command.slice(1), { cwd: GATEWAY_DIR, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  cleanups.push(() => child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /\{"listening":(\d+)\}/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`the gateway exited (${code}) before listening:\n${stderr}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** A traceledger address that accepts TCP connections and never says a word. */
async function blackhole(): Promise<string> {
  const held: Socket[] = [];
  const server = createTcpServer((socket) => void held.push(socket));
  const address = await listen(server);
  cleanups.push(() => {
    held.forEach((socket) => socket.destroy());
    server.close();
  });
  return address;
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
