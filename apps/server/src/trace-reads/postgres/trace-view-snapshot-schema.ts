// Stored trace view snapshots, the source drizzle-kit generates their migration
// from (see drizzle.config.ts). A snapshot is the GetTrace view of a trace at
// one version, encoded: derived data, rebuildable from the events at any time,
// so a missing or foreign-format row only makes a read fold more events.
// trace_id leads the key, as everywhere, so it shards with its events.
//
// This file imports nothing but drizzle-orm: drizzle-kit loads it on its own.

import { sql } from "drizzle-orm";
import { bigint, check, customType, integer, pgTable, primaryKey, smallint } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

export const traceViewSnapshots = pgTable(
  "trace_view_snapshots",
  {
    traceId: bytea("trace_id").notNull(),
    /** The stream version the view reflects: the number of events folded. */
    version: integer("version").notNull(),
    /** VIEW_FORMAT of the code that wrote it; readers use only their own. */
    format: smallint("format").notNull(),
    /** recorded_at of the event at `version`, Unix nanoseconds: for reads as of a time. */
    recordedAt: bigint("recorded_at", { mode: "bigint" }).notNull(),
    /** A traceledger.v1.Trace, its running spans without duration_nano, raw-deflate compressed. */
    view: bytea("view").notNull(),
  },
  (t) => [
    primaryKey({ name: "trace_view_snapshots_pkey", columns: [t.traceId, t.version] }),
    check("trace_view_snapshots_trace_id_length", sql`octet_length(${t.traceId}) = 16`),
  ],
);
