// A fresh database per test file on the run's PostgreSQL (see postgres-global-setup.ts),
// migrated, with a client for it; drop() removes it.

import { inject } from "vitest";
import postgres from "postgres";
import { createPostgresClient, escapeIdentifier, type Sql } from "../../src/database/open-database.js";
import { randomDatabaseName } from "../../src/database/embedded-database.js";
import { migrate } from "../../src/event-store/postgres/migrate.js";

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A client for the database (pool of 10). */
  readonly sql: Sql;
  /** Another client for the same database, closed with it. */
  client(max?: number): Sql;
  /** Empties the event store's tables and restarts the position sequence. */
  truncate(): Promise<void>;
  /** Closes the clients and drops the database. */
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject("postgresAdminUrl");
  const name = randomDatabaseName("tl_test");
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${escapeIdentifier(name)}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  const clients: Sql[] = [];
  const client = (max = 10) => {
    const sql = createPostgresClient(url, { max, applicationName: "traceledger-test" });
    clients.push(sql);
    return sql;
  };
  const sql = client();
  if (options.migrate ?? true) await migrate(sql);
  return {
    name,
    url,
    sql,
    client,
    truncate: async () => {
      await sql`truncate events, subscriber_checkpoints`;
      await sql`alter sequence events_position_seq restart`;
    },
    drop: async () => {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists ${escapeIdentifier(name)} with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}
