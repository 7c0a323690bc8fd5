// Applies the drizzle-kit migrations in apps/server/drizzle at start-up.
//
// It reads the folder with drizzle's own reader and keeps drizzle's bookkeeping table
// (drizzle.__drizzle_migrations: hash, created_at = the journal's `when`), so it agrees
// with drizzle's migrator and drizzle-kit. Unlike drizzle's migrator it first takes a
// transaction-scoped advisory lock, so replicas starting together apply each migration
// once; all pending migrations apply in one transaction.

import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { Sql } from "../../database/open-database.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../drizzle", import.meta.url));

/** An arbitrary constant: the advisory lock key of migrations ("tl-migr"). */
const MIGRATION_LOCK = 0x746c2d6d69677200n;

interface MigrationOutcome {
  /** The tags' timestamps (journal `when`) of the migrations applied now. */
  readonly applied: number[];
}

export async function migrate(sql: Sql, migrationsFolder: string = MIGRATIONS_FOLDER): Promise<MigrationOutcome> {
  const migrations = readMigrationFiles({ migrationsFolder });
  const applied: number[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK.toString()}::int8)`;
    await tx`create schema if not exists drizzle`;
    await tx`
      create table if not exists drizzle.__drizzle_migrations (
        id serial primary key,
        hash text not null,
        created_at bigint
      )`;
    const [last] = await tx<{ created_at: bigint | string | null }[]>`
      select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`;
    const lastMillis = last?.created_at == null ? -1 : Number(last.created_at);
    for (const migration of migrations) {
      if (migration.folderMillis <= lastMillis) continue;
      for (const statement of migration.sql) {
        if (statement.trim() !== "") await tx.unsafe(statement);
      }
      await tx`
        insert into drizzle.__drizzle_migrations (hash, created_at)
        values (${migration.hash}, ${migration.folderMillis})`;
      applied.push(migration.folderMillis);
    }
  });
  return { applied };
}
