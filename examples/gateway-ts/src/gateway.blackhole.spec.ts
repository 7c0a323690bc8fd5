// The gateway with a traceledger that accepts connections and never answers:
// tracing must not hold up the requests (the SDK's flush is waited for only
// briefly, and not at all once a flush was late).

import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createTracer, type Tracer } from "@traceledger/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FLUSH_WAIT_MS } from "./brief-flush.js";
import { gatewayHandler } from "./gateway.js";

const held: Socket[] = [];
const blackhole = createTcpServer((socket) => void held.push(socket));
let tracer: Tracer;
let gateway: Server;
let next: Server;
let gatewayUrl: string;

beforeAll(async () => {
  const silent = await listen(blackhole);
  tracer = createTracer({ serviceName: "gateway-ts", url: `http://${silent}`, env: {} });
  next = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ service: "next" }));
  });
  gateway = createServer(gatewayHandler({ tracer, serviceName: "gateway-ts", nextUrl: `http://${await listen(next)}` }));
  gatewayUrl = `http://${await listen(gateway)}`;
});

afterAll(async () => {
  for (const http of [gateway, next]) {
    http.closeAllConnections();
    http.close();
  }
  held.forEach((socket) => socket.destroy());
  blackhole.close();
  // Its queued spans have nowhere to go: do not wait for them.
  void tracer.shutdown().catch(() => undefined);
});

it("answers promptly although traceledger never answers", async () => {
  const began = performance.now();
  const response = await fetch(`${gatewayUrl}/work`);
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ service: "gateway-ts", downstream: { service: "next" } });
  expect(performance.now() - began).toBeLessThan(1500);
});

it("waits for the flush only until one was late, not on every request of the outage", async () => {
  // Before, every request of the outage waited FLUSH_WAIT_MS (250 ms) for a flush that could not succeed.
  await fetch(`${gatewayUrl}/work`); // late, if the test above has not already found out
  for (let i = 1; i <= 3; i++) {
    const began = performance.now();
    const response = await fetch(`${gatewayUrl}/work`);
    expect(response.status).toBe(200);
    await response.body?.cancel();
    const took = performance.now() - began;
    expect(took, `request ${i} took ${Math.round(took)} ms`).toBeLessThan(FLUSH_WAIT_MS * 0.8);
  }
});

async function listen(server: { listen: (port: number, host: string, done: () => void) => unknown; address: () => unknown }): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
