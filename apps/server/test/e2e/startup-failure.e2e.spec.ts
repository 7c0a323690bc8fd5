// A start that fails after the database is open (here: its HTTP port is taken)
// exits 1 with the cause, and leaves nothing running behind it: before, the
// projector and the saga had already started, so the saga took its lease (and
// held it for MONITORING_LEASE_MS after the process was gone, delaying every
// replica's alerts) and logged its retries over the real cause. A taken port
// says which door's port and which setting moves it: before, the gRPC door's
// said "No address added out of total 1 resolved errors: [listen EADDRINUSE
// ...]", after grpc-js's own "E No address added ..." line on stderr.

import { createServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { launchServer, spawnServer } from "./support/server-process.js";
import { within } from "./support/wait.js";

let db: TestDatabase;
let taken: Server;

beforeAll(async () => {
  db = await createTestDatabase();
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => taken.close(() => resolve()));
  await db?.drop();
});

describe("a start that fails once the database is open", () => {
  it("exits 1 naming the cause, with no saga lease taken and no worker's errors logged", async () => {
    const port = (taken.address() as AddressInfo).port;
    const failed = await spawnServer(db.url, { TRACELEDGER_HTTP_PORT: String(port), MONITORING_LEASE_MS: "60000" }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failed).toMatch(/"code":1/);
    expect(failed).toMatch(/EADDRINUSE|in use/);
    expect(failed).not.toMatch(/monitoring saga failed|projection failed/);
    const leases = await db.sql<{ holder: string }[]>`select holder from leases where expires_at > now()`;
    expect(leases).toEqual([]);
  });
});

describe("a port in use", () => {
  it.each([
    ["gRPC", "TRACELEDGER_GRPC_PORT"],
    ["HTTP", "TRACELEDGER_HTTP_PORT"],
  ])("the %s port: exits 1 naming the port and %s, with no grpc-js log line", async (door, setting) => {
    const port = (taken.address() as AddressInfo).port;
    const server = launchServer(db.url, { [setting]: String(port) });
    // stderr in order: grpc-js's line would have come before this one.
    await server.waitForOutput("traceledger failed to start", 45_000);
    const exit = await within(45_000, "the server process to exit", server.exited);
    expect(exit, server.output()).toEqual({ code: 1, signal: null });
    const lines = server.output().split("\n");
    expect(lines).toContain(`traceledger failed to start: the ${door} port 127.0.0.1:${port} is in use (set ${setting}, 0 for any free port)`);
    expect(lines.filter((line) => line.startsWith("E "))).toEqual([]);
  }, 60_000);
});
