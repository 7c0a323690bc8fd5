import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { startTcpRelay, throughRelay } from "../../test/support/tcp-relay.js";
import { createPostgresClient } from "../database/open-database.js";
import { databaseReadiness } from "./database-readiness.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db?.drop();
});

describe("databaseReadiness (/readyz)", () => {
  it("is ready while the database answers, and not while it is unreachable", async () => {
    const database = new URL(db.url);
    const tcp = await startTcpRelay({ host: database.hostname, port: Number(database.port) });
    const sql = createPostgresClient(throughRelay(db.url, tcp), { max: 2 });
    try {
      expect(await databaseReadiness(sql)).toEqual({ ready: true });
      await tcp.down();
      const down = await databaseReadiness(sql);
      expect(down.ready).toBe(false);
      expect(down.reason).toMatch(/database/);
      await tcp.up();
      await expect.poll(() => databaseReadiness(sql), { timeout: 5_000, interval: 200 }).toEqual({ ready: true });
    } finally {
      await sql.end({ timeout: 1 });
      await tcp.down().catch(() => {});
    }
  });
});
