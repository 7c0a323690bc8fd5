// The event store's tables, the source drizzle-kit generates migrations from
// (`npx drizzle-kit generate` in apps/server; output in apps/server/drizzle/, committed).
//
// Ready for sharding by trace (Citus distributing by trace_id): trace_id is in every
// key of the stream tables, `position` is not unique (a per-node order), and a
// subscriber's checkpoint is kept per shard.
//
// This file imports nothing but drizzle-orm: drizzle-kit loads it on its own.

import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  customType,
  index,
  integer,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** bytea: drizzle 0.45 has no built-in column for it. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});

/** xid8: a 64-bit transaction id (PostgreSQL 13+), read as text and held as bigint. */
const xid8 = customType<{ data: bigint; driverData: string }>({
  dataType: () => "xid8",
  toDriver: (value) => value.toString(),
  fromDriver: (value) => BigInt(value),
});

/** The global order of this node's log. Grows; may have gaps; not unique across shards. */
export const eventsPosition = pgSequence("events_position_seq", { startWith: 1, increment: 1, cache: 1 });

/** One row per event; a stream is a trace. */
export const events = pgTable(
  "events",
  {
    /** The trace id, 16 bytes (the stream id is its lowercase hex). */
    traceId: bytea("trace_id").notNull(),
    /** 1 for the first event of a stream. */
    version: integer("version").notNull(),
    eventId: uuid("event_id").notNull(),
    /** The event's message name, for example "SpanStarted". */
    type: text("type").notNull(),
    /** The event's protobuf bytes. */
    payload: bytea("payload").notNull(),
    /** Unix nanoseconds. */
    occurredAt: bigint("occurred_at", { mode: "bigint" }).notNull(),
    /** Unix nanoseconds, from the store's clock; never decreases along a stream. */
    recordedAt: bigint("recorded_at", { mode: "bigint" }).notNull(),
    tenant: text("tenant").notNull().default(""),
    position: bigint("position", { mode: "bigint" })
      .notNull()
      .default(sql`nextval('events_position_seq')`),
    /** The writing transaction: subscribers read in (tx_id, position) order below the oldest open one. */
    txId: xid8("tx_id")
      .notNull()
      .default(sql`pg_current_xact_id()`),
  },
  (t) => [
    primaryKey({ name: "events_pkey", columns: [t.traceId, t.version] }),
    uniqueIndex("events_trace_id_event_id_key").on(t.traceId, t.eventId),
    index("events_tx_id_position_idx").on(t.txId, t.position),
    check("events_trace_id_length", sql`octet_length(${t.traceId}) = 16`),
    check("events_version_positive", sql`${t.version} > 0`),
  ],
);

/** Where each subscriber stands in the log, per shard (one shard, 0, today). */
export const subscriberCheckpoints = pgTable(
  "subscriber_checkpoints",
  {
    subscriberId: text("subscriber_id").notNull(),
    shard: integer("shard").notNull().default(0),
    txId: xid8("tx_id").notNull(),
    position: bigint("position", { mode: "bigint" }).notNull(),
    /** Unix nanoseconds, from the store's clock. */
    updatedAt: bigint("updated_at", { mode: "bigint" }).notNull(),
  },
  (t) => [primaryKey({ name: "subscriber_checkpoints_pkey", columns: [t.subscriberId, t.shard] })],
);
