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
// positions. Checkpoints on the log are moved to the event just before the
// first one they had not read (an event after it may come again: every
// subscriber takes an event twice), and in-flight marks to the last event they
// covered. Events
// this cluster wrote in the meantime (an older traceledger kept writing while
// its subscribers stalled) have the highest positions, so they sort after
// every restored one, and a subscriber that had read all the restored log
// reads them next. Checkpoints with id 0 are untouched: the start of the log, or a
// stream's version (the alert listing, the webhook).

import type { Sql } from "../../database/open-database.js";

/** Whether the log holds ids this cluster has not reached, and the next id it will give. */
const RESTORED_SQL = `
  select coalesce(max(tx_id) >= pg_snapshot_xmax(pg_current_snapshot()), false) as restored,
         pg_snapshot_xmax(pg_current_snapshot())::text as next
    from events`;

interface Restored {
  readonly restored: boolean;
  readonly next: string;
}

/** The number of events rebased; 0 when the log was written by this cluster. */
export async function rebaseRestoredLog(sql: Sql): Promise<number> {
  // The common case asks without the lock: other replicas keep appending while one starts.
  const [seen] = await sql.unsafe<Restored[]>(RESTORED_SQL);
  if (!seen?.restored) return 0;
  return sql.begin(async (tx) => {
    // Appends take ROW EXCLUSIVE: none can run until the ids are consistent again.
    await tx`lock table events in exclusive mode`;
    const [row] = await tx.unsafe<Restored[]>(RESTORED_SQL);
    if (!row?.restored) return 0;
    const next = row.next;
    // After the reset, position alone orders the log: the restored events first, then what
    // this cluster wrote since (an older traceledger may have kept writing while its
    // subscribers stalled; their ids are below `next`, so they sorted before every restored
    // checkpoint). What a checkpoint had not read is among the events after it in the old
    // order and those with ids below `next`. Ids cannot tell every restored event from a new
    // one (an old cluster's early ids can be below `next` too), so this errs towards reading
    // again: an event may come twice, none is skipped.
    // The new checkpoint is the event just before the first unread one (or the start of the log):
    // an event's position, never one between events, as a reader that stops on reaching its
    // checkpoint (the saga's replay) must find it. Positions have gaps (a lost race or an aborted
    // append uses sequence values up).
    await tx`
      update subscriber_checkpoints c
         set tx_id = '0',
             position = coalesce(
               (select coalesce((select max(p.position) from events p where p.position < u.first), 0)
                  from (select min(e.position) as first from events e
                         where e.tx_id <> '0' and ((e.tx_id, e.position) > (c.tx_id, c.position) or e.tx_id < ${next}::xid8)) u
                 where u.first is not null),
               (select coalesce(max(e.position), 0) from events e))
       where c.tx_id <> '0'`;
    // An in-flight mark says which events may have had effects: it may cover more, not less.
    await tx`
      update subscriber_in_flight f
         set tx_id = '0',
             position = coalesce((select max(e.position) from events e where e.tx_id <> '0' and (e.tx_id, e.position) <= (f.tx_id, f.position)), 0)
       where f.tx_id <> '0'`;
    const updated = await tx`update events set tx_id = '0' where tx_id <> '0'`;
    return updated.count;
  });
}
