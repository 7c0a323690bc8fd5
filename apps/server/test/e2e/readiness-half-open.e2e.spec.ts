// /readyz over a probe connection gone silent: the network between the server and
// PostgreSQL drops it without a reset (a failover, a NAT or firewall forgetting
// it), while new connections reach a database that answers. Before, the probe's
// `select 1` waited on that connection until TCP gave up (about 15 minutes on
// Linux), every later probe queued behind it, and a replica whose database was
// fine answered 503 all that while.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { startSilentRelay, type SilentRelay } from "../support/silent-relay.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { startServer } from "./support/in-process-server.js";

let db: TestDatabase;
let relay: SilentRelay;
let server: Traceledger;
beforeAll(async () => {
  db = await createTestDatabase();
  relay = await startSilentRelay(db.url);
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
    // Only the probe's connection: the pool's stay as they were.
    expect(relay.silence("traceledger-probe")).toBe(1);

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
