// The statements of trace retention (trace-retention.ts): find traces whose
// last event is older than the cutoff, and delete them whole: their events,
// listing rows and view snapshots. A trace is deleted whole or not at all, so a
// stream always holds versions 1..n.
//
// Appends take no lock a delete would wait for: two writers race on events_pkey
// instead (postgres-event-store.ts). An append that read a trace's head before
// the delete committed would then insert version n + 1 into a trace whose
// 1..n are gone. So the delete first takes a lock on `events` that appends
// conflict with (SHARE ROW EXCLUSIVE against their ROW EXCLUSIVE): it waits for
// the appends under way, and appends that come meanwhile wait for its commit,
// then see the trace gone (an expected version no longer matches: the command
// is decided again on the empty trace). Reads (readAll, GetTrace) do not wait.
// lock_timeout bounds how long appends queue behind a delete that waits (a vacuum of
// the table, or a long transaction writing to it, holds a conflicting lock).

import type { Sql } from "../../database/open-database.js";
import type { GlobalCheckpoint } from "../../event-store/event-store.js";
import { textArrayLiteral } from "../../event-store/postgres/sql-arrays.js";
import { MONITORING_STREAM_ID } from "../../events/reserved-streams.js";

/** A page of the log's oldest events, as seen for retention. */
export interface ExpiryScan {
  /** Where the page ended (the next page starts after it); undefined when it was empty. */
  readonly last: GlobalCheckpoint | undefined;
  readonly scanned: number;
  /**
   * Whether every event of the page was recorded at or after the cutoff: later pages are
   * newer. (Not at the first such event: a replica whose clock runs ahead writes events
   * that look newer among older ones.)
   */
  readonly reachedCutoff: boolean;
  /** Traces with an event in the page recorded before the cutoff (hex ids). */
  readonly candidates: readonly string[];
}

export interface ExpiryResult {
  readonly traces: number;
  readonly events: number;
}

const MONITORING_STREAM = Buffer.from(MONITORING_STREAM_ID, "hex");
/** SQLSTATE of a lock not granted within lock_timeout. */
const LOCK_NOT_AVAILABLE = "55P03";

/**
 * $1/$2 after this place, $3/$4 before this one (the horizon), $5 the page size,
 * $6 the cutoff, $7 the monitoring stream (never expired). Walks
 * events_tx_id_position_idx: the log in the order subscribers read it.
 */
const SCAN_SQL = `
with page as (
  select e.trace_id, e.recorded_at, e.tx_id, e.position from events e
  where (e.tx_id, e.position) > ($1::xid8, $2::int8) and (e.tx_id, e.position) < ($3::xid8, $4::int8)
  order by e.tx_id, e.position
  limit $5
),
last as (select tx_id, position from page order by tx_id desc, position desc limit 1)
select (select tx_id::text from last) as last_tx, (select position::text from last) as last_position,
       count(*)::int as scanned, coalesce(bool_and(recorded_at >= $6::int8), false) as reached_cutoff,
       coalesce(array_agg(distinct encode(trace_id, 'hex')) filter (where recorded_at < $6::int8 and trace_id <> $7::bytea), '{}') as candidates
from page
`;

/**
 * $1 candidate trace ids (hex), $2 the cutoff, $3/$4 the horizon. A candidate is deleted when
 * none of its events is recorded at or after the cutoff or lies at or past the horizon
 * (a subscriber has not read it yet): checked under the lock, so no event joins it meanwhile.
 */
const DELETE_SQL = `
with candidates as (select decode(c.hex, 'hex') as id from unnest($1::text[]) as c(hex)),
doomed as (
  select c.id from candidates c
  where not exists (
    select 1 from events e
    where e.trace_id = c.id and (e.recorded_at >= $2::int8 or (e.tx_id, e.position) >= ($3::xid8, $4::int8))
  )
),
gone as (delete from events e using doomed d where e.trace_id = d.id returning e.trace_id),
spans as (delete from span_index s using doomed d where s.trace_id = d.id),
summaries as (delete from trace_summaries s using doomed d where s.trace_id = d.id),
snapshots as (delete from trace_view_snapshots s using doomed d where s.trace_id = d.id)
select count(distinct trace_id)::int as traces, count(*)::int as events from gone
`;

export async function scanForExpiry(sql: Sql, after: GlobalCheckpoint, horizon: GlobalCheckpoint, cutoff: bigint, limit: number): Promise<ExpiryScan> {
  const [row] = (await sql.unsafe(
    SCAN_SQL,
    [
      after.transactionId.toString(),
      after.position.toString(),
      horizon.transactionId.toString(),
      horizon.position.toString(),
      limit,
      cutoff.toString(),
      MONITORING_STREAM,
    ] as never[],
    { prepare: true },
  )) as unknown as Array<{ last_tx: string | null; last_position: string | null; scanned: number; reached_cutoff: boolean; candidates: string[] }>;
  return {
    last: row!.last_tx === null ? undefined : { transactionId: BigInt(row!.last_tx), position: BigInt(row!.last_position!) },
    scanned: row!.scanned,
    reachedCutoff: row!.reached_cutoff,
    candidates: row!.candidates,
  };
}

/**
 * Deletes the candidates that are still expired, whole, under the lock that keeps appends
 * out meanwhile; "busy" (nothing deleted) when the lock was not granted within
 * `lockTimeoutMs`: appends queue behind a lock that is waited for, so the wait stays short,
 * and shorter than deadlock_timeout (1 s), after which PostgreSQL would cancel an
 * autovacuum of the table that holds it up.
 */
export async function deleteExpiredTraces(sql: Sql, candidates: readonly string[], cutoff: bigint, horizon: GlobalCheckpoint, lockTimeoutMs: number): Promise<ExpiryResult | "busy"> {
  if (candidates.length === 0) return { traces: 0, events: 0 };
  try {
    return (await sql.begin(async (tx) => {
      await tx.unsafe(`set local lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      await tx.unsafe("lock table events in share row exclusive mode");
      const [row] = (await tx.unsafe(
        DELETE_SQL,
        [textArrayLiteral(candidates), cutoff.toString(), horizon.transactionId.toString(), horizon.position.toString()] as never[],
        { prepare: true },
      )) as unknown as Array<{ traces: number; events: number }>;
      return { traces: row!.traces, events: row!.events };
    })) as ExpiryResult;
  } catch (error) {
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return "busy";
    throw error;
  }
}

/** When the first event after `place` (in the log's order) was recorded; undefined past the log's end. */
export async function recordedAfter(sql: Sql, place: GlobalCheckpoint): Promise<bigint | undefined> {
  const [row] = await sql<Array<{ recorded_at: bigint }>>`
    select recorded_at from events
    where (tx_id, position) > (${place.transactionId.toString()}::xid8, ${place.position.toString()}::int8)
    order by tx_id, position limit 1`;
  return row?.recorded_at;
}
