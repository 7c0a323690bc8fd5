import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { relay } from "../../test/support/tcp-relay.js";
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
    const tcp = await relay(new URL(db.url));
    const url = new URL(db.url);
    url.hostname = "127.0.0.1";
    url.port = String(tcp.port());
    const sql = createPostgresClient(url.toString(), { max: 2 });
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
