import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import drizzleConfig from "../../../drizzle.config.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { MIGRATIONS_FOLDER, migrate } from "./migrate.js";

/**
 * Every table (with its columns) of the schema modules drizzle-kit generates the
 * migrations from, as listed in drizzle.config.ts: what the migrations must have built.
 */
async function declaredTables(): Promise<Record<string, string[]>> {
  const serverRoot = path.resolve(import.meta.dirname, "../../..");
  const modules = Array.isArray(drizzleConfig.schema) ? drizzleConfig.schema : [drizzleConfig.schema!];
  const tables: Record<string, string[]> = {};
  for (const module of modules) {
    const exported = (await import(pathToFileURL(path.resolve(serverRoot, module)).href)) as Record<string, unknown>;
    for (const value of Object.values(exported)) {
      if (!is(value, PgTable)) continue;
      const config = getTableConfig(value);
      tables[config.name] = config.columns.map((c) => c.name).sort();
    }
  }
  return tables;
}

describe("migrate", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("applies every migration once, also when replicas start together", async () => {
    const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
      entries: Array<{ when: number }>;
    };
    const [first, second] = await Promise.all([migrate(db.client(1)), migrate(db.client(1))]);
    expect([...first!.applied, ...second!.applied].sort()).toEqual(journal.entries.map((e) => e.when).sort());
    expect((await migrate(db.sql)).applied).toEqual([]);
    const rows = await db.sql`select hash, created_at from drizzle.__drizzle_migrations`;
    expect(rows).toHaveLength(journal.entries.length);
  });

  it("builds exactly the tables and columns the schema modules declare", async () => {
    const declared = await declaredTables();
    // The event store's own tables at least: an empty or broken schema list cannot pass.
    expect(Object.keys(declared)).toEqual(expect.arrayContaining(["events", "subscriber_checkpoints", "leases"]));
    const columns = await db.sql<{ table_name: string; column_name: string }[]>`
      select table_name, column_name from information_schema.columns where table_schema = 'public'`;
    const built: Record<string, string[]> = {};
    for (const c of columns) (built[c.table_name] ??= []).push(c.column_name);
    for (const names of Object.values(built)) names.sort();
    expect(built).toEqual(declared);
  });

  it("creates the event store's keys", async () => {
    const indexes = await db.sql<{ indexname: string; indexdef: string }[]>`
      select indexname, indexdef from pg_indexes where tablename = 'events' order by indexname`;
    const definitions = Object.fromEntries(indexes.map((i) => [i.indexname, i.indexdef]));
    // Every index costs each append an insertion: only these three are read (migration 0008
    // dropped the one on position alone, which no query used).
    expect(Object.keys(definitions)).toEqual(["events_pkey", "events_trace_id_event_id_key", "events_tx_id_position_idx"]);
    expect(definitions["events_pkey"]).toMatch(/UNIQUE INDEX .* \(trace_id, version\)/);
    expect(definitions["events_trace_id_event_id_key"]).toMatch(/UNIQUE INDEX .* \(trace_id, event_id\)/);
    expect(definitions["events_tx_id_position_idx"]).toMatch(/\(tx_id, "?position"?\)/);
    const [txDefault] = await db.sql<{ column_default: string; data_type: string }[]>`
      select column_default, data_type from information_schema.columns where table_name = 'events' and column_name = 'tx_id'`;
    expect(txDefault!.column_default).toBe("pg_current_xact_id()");
    await expect(db.sql`insert into events (trace_id, version, event_id, type, payload, occurred_at, recorded_at) values (${Buffer.alloc(15)}, 1, gen_random_uuid(), 'x', '\\x', 0, 0)`).rejects.toMatchObject({
      code: "23514",
    });
  });

  it("keeps drizzle's journal and the SQL files in step", async () => {
    const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
      entries: Array<{ tag: string; idx: number }>;
    };
    const files = (await readdir(MIGRATIONS_FOLDER)).filter((f) => f.endsWith(".sql")).sort();
    expect(files).toEqual(journal.entries.map((e) => `${e.tag}.sql`));
    const snapshots = (await readdir(path.join(MIGRATIONS_FOLDER, "meta"))).filter((f) => f.endsWith("_snapshot.json"));
    expect(snapshots).toHaveLength(journal.entries.length);
  });
});
