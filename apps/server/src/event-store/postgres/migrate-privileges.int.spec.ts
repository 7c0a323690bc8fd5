import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { createPostgresClient, escapeIdentifier, type Sql } from "../../database/open-database.js";
import { migrate } from "./migrate.js";

// A DATABASE_URL role that may log in and nothing more: what migrations need must be said.
describe("migrate as a role without the privileges it needs", () => {
  const role = `tl_login_${randomBytes(4).toString("hex")}`;
  const password = "login-only";
  let db: TestDatabase;
  let admin: Sql;
  let asRole: Sql;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    admin = postgres(inject("postgresAdminUrl"), { max: 1, onnotice: () => {} }) as unknown as Sql;
    await admin.unsafe(`create role ${escapeIdentifier(role)} login password '${password}'`);
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    asRole = createPostgresClient(url.toString(), { max: 1 });
  });
  afterAll(async () => {
    await asRole?.end({ timeout: 5 });
    await db?.drop();
    await admin?.unsafe(`drop role if exists ${escapeIdentifier(role)}`);
    await admin?.end({ timeout: 5 });
  });

  it("says it needs CREATE on the database, and how to grant it, or the owner", async () => {
    const attempt = migrate(asRole);
    await expect(attempt).rejects.toThrow(
      `applying migrations needs CREATE on database "${db.name}" (grant create on database "${db.name}" to "${role}"), or run them once as the database's owner`,
    );
    await expect(attempt).rejects.toMatchObject({ cause: { code: "42501" } });
  });

  it("starts without CREATE once the owner has applied them, given the privileges docs/operations.md lists", async () => {
    await migrate(db.sql); // as the owner (the admin role)
    await db.sql.unsafe(`grant usage on schema drizzle to ${escapeIdentifier(role)}`);
    await db.sql.unsafe(`grant select on drizzle.__drizzle_migrations to ${escapeIdentifier(role)}`);
    expect((await migrate(asRole)).applied).toEqual([]);
  });
});
