// grpc.health.v1.Health while the database is unreachable answers as /readyz
// does: NOT_SERVING, then SERVING again once the database is back, to Check and
// to Watch alike. Before, the server and every service stayed SERVING (only
// /readyz consulted the database), so a Kubernetes gRPC readiness probe, Envoy
// or a client's own health checking kept sending calls to a replica that could
// only answer them UNAVAILABLE.

import type { Client } from "@grpc/grpc-js";
import { TracingService } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callUnary, foreignHealthClient } from "../../src/rpc/transport/testing/foreign-clients.js";
import { streamReader } from "../../src/rpc/transport/testing/stream-reader.js";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { startTcpRelay, throughRelay, type TcpRelay } from "../support/tcp-relay.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { startServer } from "./support/in-process-server.js";

let db: TestDatabase;
let relay: TcpRelay;
let server: Traceledger;
let health: Client;
let databaseDown = false;
beforeAll(async () => {
  db = await createTestDatabase();
  const database = new URL(db.url);
  relay = await startTcpRelay({ host: database.hostname, port: Number(database.port) });
  server = await startServer(throughRelay(db.url, relay));
  health = foreignHealthClient(server.grpcAddress);
});
afterAll(async () => {
  health?.close();
  if (databaseDown) await relay.up();
  await server?.stop();
  await relay?.down();
  await db?.drop();
});

const check = async (service: string) => (await callUnary<{ status: string }>(health, "Check", { service }, { deadline: new Date(Date.now() + 5_000) })).response?.status;
const checks = async () => [await check(""), await check(TracingService.typeName)];
const readyz = async () => {
  const response = await fetch(`http://${server.httpAddress}/readyz`);
  await response.body?.cancel();
  return response.status;
};
type WatchCall = Parameters<typeof streamReader<{ status: string }>>[0] & { cancel(): void };

describe("gRPC health while the database is unreachable", () => {
  it("is NOT_SERVING, as /readyz is 503, and SERVING again once the database is back", async () => {
    const call = (health as unknown as { Watch(request: object): WatchCall }).Watch({ service: "" });
    const watch = streamReader<{ status: string }>(call);
    try {
      expect(await checks()).toEqual(["SERVING", "SERVING"]);
      expect((await watch.next()).status).toBe("SERVING");

      await relay.down();
      databaseDown = true;
      await expect.poll(checks, { timeout: 10_000, interval: 250 }).toEqual(["NOT_SERVING", "NOT_SERVING"]);
      expect(await readyz()).toBe(503);
      expect((await watch.next()).status).toBe("NOT_SERVING");

      await relay.up();
      databaseDown = false;
      await expect.poll(checks, { timeout: 10_000, interval: 250 }).toEqual(["SERVING", "SERVING"]);
      expect(await readyz()).toBe(200);
      expect((await watch.next()).status).toBe("SERVING");
    } finally {
      call.cancel();
    }
  }, 40_000);
});
