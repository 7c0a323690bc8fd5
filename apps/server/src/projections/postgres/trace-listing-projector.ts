// Feeds span_index and trace_summaries from the event log. Each slice of the
// log is applied in one transaction together with the projector's checkpoint,
// so the tables never run ahead of or behind what the checkpoint says. Several
// replicas may run it: a transaction-scoped advisory lock lets one apply a
// slice at a time, and the checkpoint's compare-and-set makes a loser roll back.

import { listedText } from "../../database/listed-text.js";
import type postgres from "postgres";
import type { Sql } from "../../database/open-database.js";
import type { EventStore, GlobalCheckpoint } from "../../event-store/event-store.js";
import { moveCheckpoint } from "../../event-store/postgres/move-checkpoint.js";
import { systemClock } from "../../event-store/rules.js";
import { BUSY, ProjectorLoop } from "../projector-loop.js";
import { newTraceSummary, type TraceSummaryRow } from "../new-trace-summary.js";
import type { JsonMembers } from "../json-members.js";
import { listingDelta, type ListingDelta, type SpanDelta } from "../span-index-delta.js";

type Tx = postgres.TransactionSql<{ bigint: bigint }>;

export const TRACE_LISTING_SUBSCRIBER = "trace-listing";
/** An arbitrary constant: the advisory lock of this projector ("tl-list"). */
export const TRACE_LISTING_LOCK_KEY = "8389478373617526784";

interface TraceListingProjectorOptions {
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
    const { store } = this.options;
    const from = await store.loadCheckpoint(TRACE_LISTING_SUBSCRIBER);
    const slice = await store.readAll(from, this.batchSize);
    if (slice.events.length === 0) {
      this.options.onLag?.(0);
      return 0;
    }
    const delta = listingDelta(slice.events);
    let applied: boolean;
    try {
      applied = await this.apply(from, slice.checkpoint, delta, true);
    } catch (error) {
      // A trace taken for new (its first event in the slice) had rows already, which
      // the log's version order rules out: apply the slice again merging every row.
      if ((error as { constraint_name?: string }).constraint_name !== "span_index_pkey") throw error;
      applied = await this.apply(from, slice.checkpoint, delta, false);
    }
    if (!applied) return BUSY;
    if (this.options.onLag) {
      const age = this.now() - slice.events[slice.events.length - 1]!.recordedAt;
      this.options.onLag(age > 0n ? Number(age) / 1e9 : 0);
    }
    return slice.events.length;
  }

  /** The slice in one transaction with the checkpoint; false when another projector has it. */
  private apply(from: GlobalCheckpoint, to: GlobalCheckpoint, delta: ListingDelta, trustNew: boolean): Promise<boolean> {
    return this.options.sql.begin(async (tx) => {
      // The tables are rebuilt from the log, and the checkpoint commits with them: a
      // crash that loses the last slices' commits only has them applied again. So
      // the slice does not wait for its commit to reach the disk (the writers' commits do).
      const [lock] = await tx<{ locked: boolean }[]>`
        select pg_try_advisory_xact_lock(${TRACE_LISTING_LOCK_KEY}::int8) as locked, set_config('synchronous_commit', 'off', true)`;
      if (!lock?.locked) return false;
      if (!(await moveCheckpoint(tx, TRACE_LISTING_SUBSCRIBER, 0, from, to, this.now()))) return false;
      await applyDelta(tx, delta, trustNew);
      return true;
    });
  }
}

/** Each element as listedText, quoted, '"' and '\\' escaped: a text[] literal. */
function textArray(values: readonly string[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const v = listedText(values[i]!);
    out += (i === 0 ? '"' : ',"') + (v.includes('"') || v.includes("\\") ? v.replace(/[\\"]/g, "\\$&") : v) + '"';
  }
  return out + "}";
}

const plainArray = (values: readonly (number | bigint | string)[]): string => `{${values.join(",")}}`;

/** Span rows as one array per column; the attributes as one JSON array, parsed once (an InitPlan) and indexed by ordinality. */
async function writeSpans(tx: Tx, spans: readonly SpanDelta[], members: JsonMembers, merge: boolean): Promise<void> {
  await tx`
    insert into span_index (trace_id, span_id, parent_span_id, name, service_name, start_time, end_time, state, status_code, has_error, attributes)
    select decode(u.t, 'hex'), decode(u.s, 'hex'), nullif(decode(u.p, 'hex'), ''::bytea),
           u.n, u.svc, u.st, u.et, u.state, u.code, u.err, (select ${members.jsonOfSegments(spans.map((d) => d.attributes))}::text::jsonb) -> (u.i - 1)::int4
      from unnest(${plainArray(spans.map((d) => d.traceId))}::text[], ${plainArray(spans.map((d) => d.spanId))}::text[],
                  ${textArray(spans.map((d) => d.parentSpanId))}::text[], ${textArray(spans.map((d) => d.name))}::text[],
                  ${textArray(spans.map((d) => d.serviceName))}::text[], ${plainArray(spans.map((d) => d.startTime))}::int8[],
                  ${plainArray(spans.map((d) => d.endTime))}::int8[], ${plainArray(spans.map((d) => d.state))}::int2[],
                  ${plainArray(spans.map((d) => d.statusCode))}::int4[], ${plainArray(spans.map((d) => (d.hasError ? "t" : "f")))}::bool[])
        with ordinality as u(t, s, p, n, svc, st, et, state, code, err, i)
    ${
      merge
        ? tx`on conflict (trace_id, span_id) do update set
              name = coalesce(nullif(excluded.name, ''), span_index.name),
              end_time = greatest(span_index.end_time, excluded.end_time),
              state = greatest(span_index.state, excluded.state),
              status_code = greatest(span_index.status_code, excluded.status_code),
              has_error = span_index.has_error or excluded.has_error,
              attributes = span_index.attributes || excluded.attributes`
        : tx``
    }`;
}

/**
 * With `trustNew`, the spans of traces new in the slice are inserted (they have
 * no rows: no conflict to look for) and their summaries computed here; without,
 * every span is merged and every summary read back.
 */
async function applyDelta(tx: Tx, delta: ListingDelta, trustNew: boolean): Promise<void> {
  const inserted: SpanDelta[] = [];
  const merged: SpanDelta[] = [];
  for (const trace of delta.traces.values()) (trustNew && trace.isNew ? inserted : merged).push(...trace.spans);
  if (inserted.length > 0) await writeSpans(tx, inserted, delta.members, false);
  if (merged.length > 0) await writeSpans(tx, merged, delta.members, true);
  const fresh: TraceSummaryRow[] = [];
  const regrouped: string[] = [];
  const recounted: string[] = [];
  const recountedStates: number[] = [];
  for (const [traceId, trace] of delta.traces) {
    if (trustNew && trace.isNew) {
      const row = newTraceSummary(traceId, trace);
      if (row) fresh.push(row);
    } else if (trace.spans.length === 0 && !trace.completed) {
      // Only events that change no span (SpanEventRecorded): the summary stays as it is.
      continue;
    } else if (trace.spanStarted || trace.spanRenamed) regrouped.push(traceId);
    else {
      recounted.push(traceId);
      recountedStates.push(trace.completed ? 2 : 1);
    }
  }
  if (fresh.length > 0) await insertSummaries(tx, fresh);
  if (regrouped.length > 0) await regroupSummaries(tx, regrouped, delta);
  if (recounted.length > 0) await recountSummaries(tx, recounted, recountedStates);
}


/**
 * A summary computed again replaces the stored one, but its state never goes back, and
 * its place in the listing stays: start_time moves (earlier: a span that started before
 * the others came later), so the first time it moves listed_start_time keeps the start the
 * trace was listed with (projection-schema.ts); unchanged otherwise (a HOT update).
 */
const SUMMARY_UPSERT = `
    on conflict (trace_id) do update set
      state = greatest(trace_summaries.state, excluded.state), start_time = excluded.start_time, end_time = excluded.end_time,
      listed_start_time = case when excluded.start_time = trace_summaries.start_time then trace_summaries.listed_start_time
                               else coalesce(trace_summaries.listed_start_time, trace_summaries.start_time) end,
      root_name = excluded.root_name, root_service_name = excluded.root_service_name, span_count = excluded.span_count,
      error_count = excluded.error_count, running_span_count = excluded.running_span_count, service_names = excluded.service_names`;

/** Traces whose every span is in this slice: their rows as computed here. */
async function insertSummaries(tx: Tx, rows: readonly TraceSummaryRow[]): Promise<void> {
  // Each row's service names are a slice [lo:hi] of one flat array, parsed once (an InitPlan).
  const names: string[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (const r of rows) {
    lo.push(names.length + 1);
    names.push(...r.serviceNames);
    hi.push(names.length);
  }
  await tx`
    insert into trace_summaries (trace_id, state, start_time, end_time, root_name, root_service_name, span_count, error_count, running_span_count, service_names)
    select decode(u.t, 'hex'), u.state, u.st, u.et, u.rn, u.rs, u.spans, u.errors, u.running, (select ${textArray(names)}::text[])[u.lo:u.hi]
      from unnest(${plainArray(rows.map((r) => r.traceId))}::text[], ${plainArray(rows.map((r) => r.state))}::int2[],
                  ${plainArray(rows.map((r) => r.startTime))}::int8[], ${plainArray(rows.map((r) => r.endTime))}::int8[],
                  ${textArray(rows.map((r) => r.rootName))}::text[], ${textArray(rows.map((r) => r.rootServiceName))}::text[],
                  ${plainArray(rows.map((r) => r.spanCount))}::int4[], ${plainArray(rows.map((r) => r.errorCount))}::int4[],
                  ${plainArray(rows.map((r) => r.runningSpanCount))}::int4[], ${plainArray(lo)}::int4[], ${plainArray(hi)}::int4[])
        as u(t, state, st, et, rn, rs, spans, errors, running, lo, hi)
    ${tx.unsafe(SUMMARY_UPSERT)}`;
}

/** Traces that gained spans: everything recomputed from span_index. */
async function regroupSummaries(tx: Tx, traceIds: readonly string[], delta: ListingDelta): Promise<void> {
  const completed = traceIds.map((id) => (delta.traces.get(id)!.completed ? 2 : 1));
  await tx`
    insert into trace_summaries (trace_id, state, start_time, end_time, root_name, root_service_name, span_count, error_count, running_span_count, service_names)
    select s.trace_id, min(c.state), min(s.start_time), max(s.end_time),
           (array_agg(s.name order by s.parent_span_id is not null, s.start_time, s.span_id))[1],
           (array_agg(s.service_name order by s.parent_span_id is not null, s.start_time, s.span_id))[1],
           count(*), count(*) filter (where s.has_error), count(*) filter (where s.state = 1),
           array_agg(distinct s.service_name collate "C" order by s.service_name collate "C")
      from unnest(${plainArray(traceIds)}::text[], ${plainArray(completed)}::int2[]) as c(t, state)
      join span_index s on s.trace_id = decode(c.t, 'hex')
     group by s.trace_id
    ${tx.unsafe(SUMMARY_UPSERT)}`;
}

/**
 * Traces whose spans all started in earlier slices: their names, services,
 * start and root are as they were; only what ends, errors and completion move
 * is counted again.
 */
async function recountSummaries(tx: Tx, traceIds: readonly string[], states: readonly number[]): Promise<void> {
  await tx`
    update trace_summaries t
       set end_time = a.et, error_count = a.errors, running_span_count = a.running, state = greatest(t.state, c.state)
      from unnest(${plainArray(traceIds)}::text[], ${plainArray(states)}::int2[]) as c(t, state)
     cross join lateral (
           select max(s.end_time) as et, count(*) filter (where s.has_error) as errors, count(*) filter (where s.state = 1) as running
             from span_index s where s.trace_id = decode(c.t, 'hex')) a
     where t.trace_id = decode(c.t, 'hex')`;
}
