// The log is read in (tx_id, position) order, tx_id being the writer's
// transaction id (pg_current_xact_id()) and only ids below the oldest running
// transaction being read, so a reader never passes a late commit. Transaction
// ids belong to one PostgreSQL cluster: a log restored into another (pg_dump,
// a logical copy) keeps ids the new cluster has not reached. Its new events then
// get lower ids than the old ones and sort before every subscriber's checkpoint:
// the listing, the saga and the OTLP export would silently see nothing new.
//
// At start-up, with every event committed, the old ids can be set to 0: all of
// them sort before anything the new cluster writes, in the order of their
// positions. Checkpoints on the log are moved to just before the first event
// they had not read in the old order (an event after it may come again: every
// subscriber takes an event twice), and in-flight marks to the last restored
// event they covered. Events this cluster wrote in the meantime have the
// highest positions, so they sort after every restored one, as they should. Checkpoints with id 0 are untouched: the start of the log, or a
// stream's version (the alert listing, the webhook).

import type { Sql } from "../../database/open-database.js";

/** The number of events rebased; 0 when the log was written by this cluster. */
export async function rebaseRestoredLog(sql: Sql): Promise<number> {
  // The common case asks without the lock: other replicas keep appending while one starts.
  const [seen] = await sql<{ restored: boolean }[]>`
    select coalesce(max(tx_id) >= pg_snapshot_xmax(pg_current_snapshot()), false) as restored from events`;
  if (!seen?.restored) return 0;
  return sql.begin(async (tx) => {
    // Appends take ROW EXCLUSIVE: none can run until the ids are consistent again.
    await tx`lock table events in exclusive mode`;
    const [row] = await tx<{ restored: boolean; next: string }[]>`
      select coalesce(max(tx_id) >= pg_snapshot_xmax(pg_current_snapshot()), false) as restored,
             pg_snapshot_xmax(pg_current_snapshot())::text as next
        from events`;
    if (!row?.restored) return 0;
    // Events this cluster wrote since the restore (ids below its counter) are newer than every restored one.
    const next = row.next;
    await tx`
      update subscriber_checkpoints c
         set tx_id = '0',
             position = coalesce((select min(e.position) from events e where (e.tx_id, e.position) > (c.tx_id, c.position)) - 1,
                                 (select coalesce(max(e.position), 0) from events e))
       where c.tx_id <> '0'`;
    await tx`
      update subscriber_in_flight f
         set tx_id = '0',
             position = coalesce((select max(e.position) from events e where (e.tx_id, e.position) <= (f.tx_id, f.position) and e.tx_id >= ${next}::xid8), 0)
       where f.tx_id <> '0'`;
    const updated = await tx`update events set tx_id = '0' where tx_id <> '0'`;
    return updated.count;
  });
}
