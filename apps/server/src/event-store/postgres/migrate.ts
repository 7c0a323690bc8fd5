// Applies the drizzle-kit migrations in apps/server/drizzle at start-up.
//
// It reads the folder with drizzle's own reader and keeps drizzle's bookkeeping table
// (drizzle.__drizzle_migrations: hash, created_at = the journal's `when`), so it agrees
// with drizzle's migrator and drizzle-kit. Unlike drizzle's migrator it first takes a
// transaction-scoped advisory lock, so replicas starting together apply each migration
// once; all pending migrations apply in one transaction.

import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { escapeIdentifier, type Sql } from "../../database/open-database.js";

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
  let who: { database: string; role: string } | undefined;
  try {
    await sql.begin(async (tx) => {
      [who] = await tx<{ database: string; role: string }[]>`
        select current_database() as database, current_user as role, pg_advisory_xact_lock(${MIGRATION_LOCK.toString()}::int8)`;
      // Only when missing: CREATE ... IF NOT EXISTS checks the CREATE privilege first, and
      // a role that may not create would fail every start, even with nothing to apply.
      const [bookkept] = await tx`
        select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'drizzle' and c.relname = '__drizzle_migrations'`;
      if (!bookkept) {
        await tx`create schema if not exists drizzle`;
        await tx`
          create table if not exists drizzle.__drizzle_migrations (
            id serial primary key,
            hash text not null,
            created_at bigint
          )`;
      }
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
  } catch (error) {
    if ((error as { code?: string }).code === "42501" && who) throw new MigrationPrivilegeError(who.database, who.role, error);
    throw error;
  }
  return { applied };
}

/**
 * The role of DATABASE_URL may not do what migrations do (42501 insufficient_privilege):
 * create their bookkeeping schema (CREATE on the database), create a table in public,
 * alter a table another role owns.
 */
class MigrationPrivilegeError extends Error {
  override readonly name = "MigrationPrivilegeError";
  constructor(database: string, role: string, cause: unknown) {
    const db = escapeIdentifier(database);
    const reason = cause instanceof Error ? cause.message : String(cause);
    const owner = `run them once as the database's owner (start traceledger once with the owner's DATABASE_URL; docs/operations.md lists what ${escapeIdentifier(role)} needs then)`;
    super(
      /permission denied for database/.test(reason)
        ? `applying migrations needs CREATE on database ${db} (grant create on database ${db} to ${escapeIdentifier(role)}), or ${owner}: ${reason}`
        : `applying migrations needs privileges the role ${escapeIdentifier(role)} lacks on database ${db}: ${owner}: ${reason}`,
      { cause },
    );
  }
}
