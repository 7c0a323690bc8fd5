// What a leased subscriber was handling when it last reported, the source
// drizzle-kit generates its migration from (see drizzle.config.ts). The lease
// itself is a row of `leases` (src/monitoring/monitoring-schema.ts), shared
// with every background worker.
//
// This file imports nothing but drizzle-orm: drizzle-kit loads it on its own.

import { bigint, customType, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** As in the event store's schema (not imported: drizzle-kit loads each schema file alone). */
const xid8 = customType<{ data: bigint; driverData: string }>({
  dataType: () => "xid8",
  toDriver: (value) => value.toString(),
  fromDriver: (value) => BigInt(value),
});

/**
 * The log place up to which a subscriber's holder was handling events: written
 * (with the lease renewed in the same statement) before the handler acts on a
 * slice. Beyond the saved checkpoint it marks events whose effects may already
 * have happened, so the next holder knows they are redelivered.
 */
export const subscriberInFlight = pgTable(
  "subscriber_in_flight",
  {
    subscriberId: text("subscriber_id").notNull(),
    shard: integer("shard").notNull().default(0),
    /** The lease token of the holder that wrote it. */
    token: bigint("token", { mode: "bigint" }).notNull(),
    txId: xid8("tx_id").notNull(),
    position: bigint("position", { mode: "bigint" }).notNull(),
  },
  (t) => [primaryKey({ name: "subscriber_in_flight_pkey", columns: [t.subscriberId, t.shard] })],
);
