// The monitoring runner's tables, the source drizzle-kit generates migrations from
// (see drizzle.config.ts). The alerts themselves are events of the monitoring
// stream in `events`; these tables only hold who runs the saga and a read model.
//
// Neither is per trace: under Citus they would be reference tables, small and
// written by one replica at a time.
//
// This file imports nothing but drizzle-orm: drizzle-kit loads it on its own.

import { sql } from "drizzle-orm";
import { bigint, customType, index, integer, pgTable, primaryKey, smallint, text, timestamp } from "drizzle-orm/pg-core";

/** bytea: drizzle 0.45 has no built-in column for it. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/** xid8, held as bigint (as in the event store's schema). */
const xid8 = customType<{ data: bigint; driverData: string }>({
  dataType: () => "xid8",
  toDriver: (value) => value.toString(),
  fromDriver: (value) => BigInt(value),
});

/**
 * Leases on background work: the holder acts until expires_at, renewing as it
 * goes; anyone may take an expired lease. Times are the database's clock, so
 * the replicas' clocks never have to agree. `token` grows with every new
 * holder: a fencing token for the holder's writes.
 */
export const leases = pgTable(
  "leases",
  {
    name: text("name").notNull(),
    shard: integer("shard").notNull().default(0),
    holder: text("holder").notNull(),
    token: bigint("token", { mode: "bigint" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [primaryKey({ name: "leases_pkey", columns: [t.name, t.shard] })],
);

/**
 * One row per alert, folded from the monitoring stream by the alert projector:
 * its AlertRaised (and AlertResolved once there is one) as protobuf bytes, and
 * the columns ListAlerts filters and orders by.
 */
export const monitoringAlerts = pgTable(
  "monitoring_alerts",
  {
    alertId: text("alert_id").primaryKey(),
    /** The domain's kind name, for example "slow_span". */
    kind: text("kind").notNull(),
    /** The service the subject belongs to; every subject names one. */
    serviceName: text("service_name").notNull(),
    /** 1 open, 2 resolved (AlertState numbers). */
    state: smallint("state").notNull(),
    /** The monitoring stream version of the AlertRaised: the listing's order. */
    raisedVersion: integer("raised_version").notNull(),
    /** Unix nanoseconds: when the store recorded the AlertRaised. */
    raisedRecordedAt: bigint("raised_recorded_at", { mode: "bigint" }).notNull(),
    raised: bytea("raised").notNull(),
    resolved: bytea("resolved"),
  },
  (t) => [
    index("monitoring_alerts_raised_version_idx").on(t.raisedVersion.desc()),
    index("monitoring_alerts_open_idx").on(t.raisedVersion.desc()).where(sql`${t.state} = 1`),
  ],
);

/**
 * The saga's state as its leader held it at a checkpoint it had committed, so a new
 * leader or a starting replica folds the log from there instead of from its start.
 * One row per subscriber, replaced as the leader goes; derived data: a missing row,
 * or one of another format or configuration, only makes a rebuild read more of the log.
 */
export const sagaSnapshots = pgTable("saga_snapshots", {
  subscriberId: text("subscriber_id").primaryKey(),
  /** SAGA_SNAPSHOT_FORMAT of the code that wrote it; readers use only their own. */
  format: smallint("format").notNull(),
  /** A digest of the saga configuration it was folded under (thresholds live in the state). */
  configDigest: text("config_digest").notNull(),
  /** The log position the state reflects: the committed checkpoint it was taken at. */
  txId: xid8("tx_id").notNull(),
  position: bigint("position", { mode: "bigint" }).notNull(),
  /** The prefix of the monitoring stream (its version) whose alert events the state holds. */
  alertsVersion: integer("alerts_version").notNull().default(0),
  /** Events the state's fold had read from the start of the log: for logs and metrics. */
  events: bigint("events", { mode: "bigint" }).notNull(),
  /** Unix nanoseconds, from the leader's clock. */
  writtenAt: bigint("written_at", { mode: "bigint" }).notNull(),
  /** The fold's image (saga-image-codec.ts: v8 serialisation in parts, zlib-compressed). */
  state: bytea("state").notNull(),
});
