import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { MIGRATIONS_FOLDER, migrate } from "./migrate.js";

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

  it("creates the event store's tables and keys", async () => {
    const tables = await db.sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
    expect(tables.map((t) => t.table_name)).toEqual(["events", "leases", "monitoring_alerts", "span_index", "streams", "subscriber_checkpoints", "trace_summaries"]);
    const indexes = await db.sql<{ indexname: string; indexdef: string }[]>`
      select indexname, indexdef from pg_indexes where tablename = 'events' order by indexname`;
    const definitions = Object.fromEntries(indexes.map((i) => [i.indexname, i.indexdef]));
    expect(definitions["events_pkey"]).toMatch(/UNIQUE INDEX .* \(trace_id, version\)/);
    expect(definitions["events_trace_id_event_id_key"]).toMatch(/UNIQUE INDEX .* \(trace_id, event_id\)/);
    expect(definitions["events_tx_id_position_idx"]).toMatch(/\(tx_id, "?position"?\)/);
    const [txDefault] = await db.sql<{ column_default: string; data_type: string }[]>`
      select column_default, data_type from information_schema.columns where table_name = 'events' and column_name = 'tx_id'`;
    expect(txDefault!.column_default).toBe("pg_current_xact_id()");
    await expect(db.sql`insert into streams (trace_id, version, recorded_at) values (${Buffer.alloc(15)}, 1, 0)`).rejects.toMatchObject({
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
