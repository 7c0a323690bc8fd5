// The server's postgres.js client through a database outage: while connections
// are refused every query fails within its reconnect backoff (at most 2 s), and
// once the database is back the same client works again within it (a pool
// wedged by refused connects once hung forever).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { createPostgresClient } from "./open-database.js";
import { startTcpRelay, throughRelay } from "../../test/support/tcp-relay.js";
import { within } from "../../test/e2e/support/wait.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db?.drop();
});

describe("the server's PostgreSQL client", () => {
  it("fails fast while the database refuses connections, and works again when it is back", async () => {
    const database = new URL(db.url);
    const tcp = await startTcpRelay({ host: database.hostname, port: Number(database.port) });
    const sql = createPostgresClient(throughRelay(db.url, tcp), { max: 3 });
    try {
      expect(await within(5_000, "the first query", sql`select 1 as one`)).toEqual([{ one: 1 }]);
      await tcp.down();
      // More refusals than the pool has slots: each used to leave its slot stuck.
      for (let i = 0; i < 12; i++) {
        await expect(within(4_000, `query ${i} while the database is down`, sql`select 1 as one`)).rejects.toThrow(/ECONNREFUSED|CONNECTION_CLOSED/);
      }
      await tcp.up();
      expect(await within(5_000, "a query once the database is back", sql`select 1 as one`)).toEqual([{ one: 1 }]);
    } finally {
      await sql.end({ timeout: 1 });
      await tcp.down().catch(() => {});
    }
  });
});
