// A start that fails after the database is open (here: its HTTP port is taken)
// exits 1 with the cause, and leaves nothing running behind it: before, the
// projector and the saga had already started, so the saga took its lease (and
// held it for MONITORING_LEASE_MS after the process was gone, delaying every
// replica's alerts) and logged its retries over the real cause.

import { createServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { spawnServer } from "./support/server-process.js";

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
