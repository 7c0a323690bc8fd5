// /readyz over a probe connection gone silent: the network between the server and
// PostgreSQL drops it without a reset (a failover, a NAT or firewall forgetting
// it), while new connections reach a database that answers. Before, the probe's
// `select 1` waited on that connection until TCP gave up (about 15 minutes on
// Linux), every later probe queued behind it, and a replica whose database was
// fine answered 503 all that while.

import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { startServer } from "./support/in-process-server.js";

/**
 * Forwards to PostgreSQL; silence() stops the probe's open connections both ways
 * and keeps them open, as a lost connection looks from the server's side.
 */
async function relayTo(target: URL) {
  const probes: Array<[Socket, Socket]> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    // The startup message names the client: only the probe's connection is silenced.
    client.once("data", (startup: Buffer) => {
      if (startup.includes("traceledger-probe")) probes.push([client, upstream]);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    silence: () => {
      for (const [client, upstream] of probes.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

let db: TestDatabase;
let relay: Awaited<ReturnType<typeof relayTo>>;
let server: Traceledger;
beforeAll(async () => {
  db = await createTestDatabase();
  relay = await relayTo(new URL(db.url));
  server = await startServer(relay.url);
});
afterAll(async () => {
  await server?.stop();
  relay?.close();
  await db?.drop();
});

async function readyz(): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const response = await fetch(`http://${server.httpAddress}/readyz`);
  await response.body?.cancel();
  return { status: response.status, ms: Date.now() - started };
}

describe("/readyz when the probe's connection goes silent", () => {
  it("answers 503 promptly, then ready again over a new connection", async () => {
    expect((await readyz()).status).toBe(200);
    relay.silence();

    const first = await readyz();
    expect(first.status).toBe(503);
    expect(first.ms).toBeLessThan(3_000);
    // The database answers new connections all along: the probe must not wait on the lost one.
    await expect
      .poll(
        async () => {
          const answer = await readyz();
          expect(answer.ms).toBeLessThan(3_000);
          return answer.status;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(200);
  }, 40_000);
});
