import { afterAll, beforeAll } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { eventStoreContract } from "../event-store.contract.js";
import { PostgresEventStore } from "./postgres-event-store.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

eventStoreContract("PostgreSQL", async (clock) => {
  await db.truncate();
  return new PostgresEventStore(db.sql, { clock });
});
