// Feeds span_index and trace_summaries from the event log. Each slice of the
// log is applied in one transaction together with the projector's checkpoint,
// so the tables never run ahead of or behind what the checkpoint says. Several
// replicas may run it: a transaction-scoped advisory lock lets one apply a
// slice at a time, and the checkpoint's compare-and-set makes a loser roll back.

import type postgres from "postgres";
import type { Sql } from "../../database/open-database.js";
import type { EventStore } from "../../event-store/event-store.js";
import { moveCheckpoint } from "../../event-store/postgres/move-checkpoint.js";
import { systemClock } from "../../event-store/rules.js";
import { isTraceStream } from "../../events/reserved-streams.js";
import { decodeTraceEvent } from "../../events/trace-event-codec.js";
import { BUSY, ProjectorLoop } from "../projector-loop.js";
import { listingDelta, type ListingDelta } from "../span-index-delta.js";

type Tx = postgres.TransactionSql<{ bigint: bigint }>;

export const TRACE_LISTING_SUBSCRIBER = "trace-listing";
/** An arbitrary constant: the advisory lock of this projector ("tl-list"). */
export const TRACE_LISTING_LOCK_KEY = "8389478373617526784";

export interface TraceListingProjectorOptions {
  readonly sql: Sql;
  readonly store: EventStore;
  /** Events per transaction. Default 5,000. */
  readonly batchSize?: number;
  /** How long to sleep when caught up and nobody woke us. Default 250 ms. */
  readonly idleMs?: number;
  /**
   * The shortest time between two slices when woken by new commits. Default 100 ms:
   * under ingest load a wake-up per commit would cost a transaction per commit;
   * waiting gathers many commits into one slice.
   */
  readonly minIntervalMs?: number;
  readonly clock?: () => bigint;
  readonly onError?: (error: unknown) => void;
  /**
   * After each slice, how far behind the log the tables are, in seconds: the
   * age of the newest event applied, measured when its transaction committed;
   * 0 when the log had nothing new. Not called when another projector had the slice.
   */
  readonly onLag?: (seconds: number) => void;
}

export class TraceListingProjector {
  private readonly batchSize: number;
  private readonly now: () => bigint;
  private readonly loop: ProjectorLoop;

  constructor(private readonly options: TraceListingProjectorOptions) {
    this.batchSize = options.batchSize ?? 5000;
    this.now = options.clock ?? systemClock;
    this.loop = new ProjectorLoop({
      step: () => this.step(),
      batchSize: this.batchSize,
      idleMs: options.idleMs ?? 250,
      minIntervalMs: options.minIntervalMs ?? 100,
      onError: options.onError,
    });
  }

  /** Follows the log in the background until stop(). */
  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Nudges a sleeping projector: new events were committed. */
  wake(): void {
    this.loop.wake();
  }

  /**
   * Applies slices until the log has nothing more; returns how many events it
   * applied. When another projector (this process's background loop, or a
   * replica) holds the lock, waits for it: on return, everything committed
   * before the call is in the tables.
   */
  catchUp(): Promise<number> {
    return this.loop.catchUp();
  }

  /** Drops the tables' content and the checkpoint, then replays the whole log. */
  async rebuild(): Promise<number> {
    await this.options.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${TRACE_LISTING_LOCK_KEY}::int8)`;
      await tx`truncate span_index, trace_summaries`;
      await tx`delete from subscriber_checkpoints where subscriber_id = ${TRACE_LISTING_SUBSCRIBER}`;
    });
    return this.catchUp();
  }

  /** One slice: read after the checkpoint, apply, move the checkpoint. 0 when caught up, BUSY when another projector has it. */
  private async step(): Promise<number> {
    const { store, sql } = this.options;
    const from = await store.loadCheckpoint(TRACE_LISTING_SUBSCRIBER);
    const slice = await store.readAll(from, this.batchSize);
    if (slice.events.length === 0) {
      this.options.onLag?.(0);
      return 0;
    }
    // The monitoring stream's alert events share the log but are not trace events.
    const traceEvents = slice.events.filter((e) => isTraceStream(e.streamId));
    const delta = listingDelta(traceEvents.map((e) => ({ traceId: e.streamId, event: decodeTraceEvent(e.type, e.payload) })));
    const applied = await sql.begin(async (tx) => {
      const [lock] = await tx<{ locked: boolean }[]>`select pg_try_advisory_xact_lock(${TRACE_LISTING_LOCK_KEY}::int8) as locked`;
      if (!lock?.locked) return false;
      if (!(await moveCheckpoint(tx, TRACE_LISTING_SUBSCRIBER, 0, from, slice.checkpoint, this.now()))) return false;
      await applyDelta(tx, delta);
      return true;
    });
    if (!applied) return BUSY;
    if (this.options.onLag) {
      const age = this.now() - slice.events[slice.events.length - 1]!.recordedAt;
      this.options.onLag(age > 0n ? Number(age) / 1e9 : 0);
    }
    return slice.events.length;
  }
}

async function applyDelta(tx: Tx, delta: ListingDelta): Promise<void> {
  if (delta.spans.length > 0) {
    const rows = delta.spans.map((d) => ({
      t: d.traceId,
      s: d.spanId,
      p: d.parentSpanId,
      n: d.name,
      svc: d.serviceName,
      st: d.startTime.toString(),
      et: d.endTime.toString(),
      state: d.state,
      code: d.statusCode,
      err: d.hasError,
      attrs: d.attributes,
    }));
    await tx`
      insert into span_index (trace_id, span_id, parent_span_id, name, service_name, start_time, end_time, state, status_code, has_error, attributes)
      select decode(r.t, 'hex'), decode(r.s, 'hex'), case when r.p = '' then null else decode(r.p, 'hex') end,
             r.n, r.svc, r.st::int8, r.et::int8, r.state, r.code, r.err, r.attrs
        from jsonb_to_recordset(${tx.json(rows)}::jsonb)
          as r(t text, s text, p text, n text, svc text, st text, et text, state int, code int, err boolean, attrs jsonb)
      on conflict (trace_id, span_id) do update set
        end_time = greatest(span_index.end_time, excluded.end_time),
        state = greatest(span_index.state, excluded.state),
        status_code = greatest(span_index.status_code, excluded.status_code),
        has_error = span_index.has_error or excluded.has_error,
        attributes = span_index.attributes || excluded.attributes`;
  }
  const touched = [...delta.touchedTraces].map((id) => Buffer.from(id, "hex"));
  await tx`
    insert into trace_summaries (trace_id, state, start_time, end_time, root_name, root_service_name, span_count, error_count, running_span_count, service_names)
    select s.trace_id, 1, min(s.start_time), max(s.end_time),
           (array_agg(s.name order by s.parent_span_id is not null, s.start_time))[1],
           (array_agg(s.service_name order by s.parent_span_id is not null, s.start_time))[1],
           count(*), count(*) filter (where s.has_error), count(*) filter (where s.state = 1),
           array_agg(distinct s.service_name order by s.service_name)
      from span_index s
     where s.trace_id = any(${tx.array(touched, 17)}::bytea[])
     group by s.trace_id
    on conflict (trace_id) do update set
      start_time = excluded.start_time, end_time = excluded.end_time, root_name = excluded.root_name,
      root_service_name = excluded.root_service_name, span_count = excluded.span_count,
      error_count = excluded.error_count, running_span_count = excluded.running_span_count,
      service_names = excluded.service_names`;
  if (delta.completedTraces.size > 0) {
    const completed = [...delta.completedTraces].map((id) => Buffer.from(id, "hex"));
    await tx`update trace_summaries set state = 2 where trace_id = any(${tx.array(completed, 17)}::bytea[])`;
  }
}
