// The EventStore on PostgreSQL, through postgres.js (the hot path is hand-written SQL;
// the tables come from schema.ts through drizzle-kit migrations).
//
// Appends: one statement per batch, whatever the number of streams (group commit).
// The requests and events travel as parameter arrays, unnested into rows. A CTE
// compare-and-sets each stream's row in `streams` (insert for a new stream, update
// where version = expected otherwise), inserts the events of only the streams whose
// check passed, and returns one row per request: its new version and positions, or,
// for a failed check, the stream's version and which of its event ids are already
// stored. A retry (ids already stored) is therefore told apart from a conflict in
// the same round trip; nothing extra runs when every check passes.
//
// "any" is a compare-and-set against the version the statement's snapshot sees, and
// is retried when a concurrent append moved the stream: so a stream's events are
// always written by transactions in version order, and readAll, which orders by
// transaction id, hands them out in version order.
//
// readAll: rows in (tx_id, position) order, only below the oldest transaction still
// running (pg_snapshot_xmin), so an event that commits late with a smaller position
// is never skipped (Emmett's approach).

import {
  type AppendError,
  type AppendRequest,
  type AppendResult,
  type EventStore,
  type GlobalCheckpoint,
  type ReadAllResult,
  type ReadStreamOptions,
  START_OF_LOG,
  type StoredEvent,
  type StreamId,
  VersionConflictError,
} from "../event-store.js";
import {
  answerStoredIds,
  assertAppendRequest,
  assertCheckpoint,
  assertLimit,
  assertReadStreamOptions,
  assertShard,
  assertStreamId,
  compareCheckpoints,
  type StoredMatch,
  systemClock,
} from "../rules.js";
import type { Sql } from "../../database/open-database.js";
import { byteaArray, int4Array, int8Array, textArray, textArrayLiteral, uuidArray } from "./sql-arrays.js";

export interface PostgresEventStoreOptions {
  /** Unix nanoseconds for recordedAt. Default: the system clock. */
  readonly clock?: () => bigint;
  /**
   * How many times a batch is sent again after a transient failure (a deadlock between
   * batches, or a racing writer). Default 20.
   */
  readonly maxAttempts?: number;
}

/** Expected version as sent to SQL: -1 for "any", else the exact version (0 = no stream). */
const ANY = -1;

/** One statement, any number of streams (each at most once): see the file comment. */
const APPEND_SQL = `
with req as (
  select r.trace_id, r.expected, r.n, r.first, r.ord,
         case when r.expected >= 0 then r.expected
              else coalesce((select s.version from streams s where s.trace_id = r.trace_id), 0)
         end as base
  from unnest($1::bytea[], $2::int4[], $3::int4[], $4::int4[]) with ordinality as r(trace_id, expected, n, first, ord)
),
ev as (
  select * from unnest($5::int4[], $6::uuid[], $7::text[], $8::bytea[], $9::int8[])
    with ordinality as e(ord, event_id, type, payload, occurred_at, i)
),
created as (
  insert into streams (trace_id, version, recorded_at)
  select trace_id, n, $10::int8 from req where base = 0
  on conflict (trace_id) do nothing
  returning trace_id, version, recorded_at
),
moved as (
  update streams s set version = s.version + r.n, recorded_at = greatest(s.recorded_at, $10::int8)
  from req r
  where r.base > 0 and s.trace_id = r.trace_id and s.version = r.base
  returning s.trace_id, s.version, s.recorded_at
),
won as (
  select r.ord, r.trace_id, r.n, r.first, w.version, w.recorded_at
  from (select * from created union all select * from moved) w
  join req r on r.trace_id = w.trace_id
),
inserted as (
  insert into events (trace_id, version, event_id, type, payload, occurred_at, recorded_at)
  select w.trace_id, w.version - w.n + (e.i - w.first)::int4 + 1, e.event_id, e.type, e.payload, e.occurred_at, w.recorded_at
  from ev e join won w on w.ord = e.ord
  order by e.i
  returning trace_id, version, position
),
appended as (
  select trace_id, array_agg(position order by version)::text as positions from inserted group by trace_id
),
stored as (
  select e.ord,
         array_agg((e.i - r.first)::int4 order by e.i)::text as idx,
         array_agg(x.version order by e.i)::text as versions,
         array_agg(x.position order by e.i)::text as positions,
         array_agg(x.type = e.type and x.payload = e.payload and x.occurred_at = e.occurred_at order by e.i)::text as same
  from req r
  join ev e on e.ord = r.ord
  join events x on x.trace_id = r.trace_id and x.event_id = e.event_id
  where not exists (select 1 from won w where w.ord = r.ord)
  group by e.ord
)
select r.ord::int4 as ord, r.base, w.version as next_version, a.positions,
       case when w.ord is null
            then coalesce((select s.version from streams s where s.trace_id = r.trace_id), 0)
       end as actual,
       c.idx as stored_idx, c.versions as stored_versions, c.positions as stored_positions, c.same as stored_same
from req r
left join won w on w.ord = r.ord
left join appended a on a.trace_id = r.trace_id
left join stored c on c.ord = r.ord
`;

/** Which event ids of the requests are stored (used after a unique violation). */
const STORED_IDS_SQL = `
with req as (
  select * from unnest($1::bytea[], $2::int4[]) with ordinality as r(trace_id, first, ord)
),
ev as (
  select * from unnest($3::int4[], $4::uuid[], $5::text[], $6::bytea[], $7::int8[])
    with ordinality as e(ord, event_id, type, payload, occurred_at, i)
)
select e.ord::int4 as ord,
       array_agg((e.i - r.first)::int4 order by e.i)::text as stored_idx,
       array_agg(x.version order by e.i)::text as stored_versions,
       array_agg(x.position order by e.i)::text as stored_positions,
       array_agg(x.type = e.type and x.payload = e.payload and x.occurred_at = e.occurred_at order by e.i)::text as stored_same
from req r
join ev e on e.ord = r.ord
join events x on x.trace_id = r.trace_id and x.event_id = e.event_id
group by e.ord
`;

/** Arrays come back as their text form ("{1,2}"), whatever the client's type setup. */
interface AppendRow {
  ord: number;
  base: number;
  next_version: number | null;
  positions: string | null;
  actual: number | null;
  stored_idx: string | null;
  stored_versions: string | null;
  stored_positions: string | null;
  stored_same: string | null;
}

type StoredRow = Pick<AppendRow, "ord" | "stored_idx" | "stored_versions" | "stored_positions" | "stored_same">;

interface EventRow {
  trace_id: Buffer;
  version: number;
  event_id: string;
  type: string;
  payload: Buffer;
  occurred_at: bigint | string;
  recorded_at: bigint | string;
  position: bigint | string;
  /** The writing transaction's id, as text. */
  tx?: string;
}

/** A request of a round with what the SQL needs, and where its answer goes. */
interface Pending {
  readonly slot: number;
  readonly request: AppendRequest;
  readonly traceId: Buffer;
}

export class PostgresEventStore implements EventStore {
  private readonly clock: () => bigint;
  private readonly maxAttempts: number;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** The client belongs to the caller, who closes it after closing the store. */
  constructor(
    private readonly sql: Sql,
    options: PostgresEventStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = options.maxAttempts ?? 20;
  }

  async append(request: AppendRequest): Promise<AppendResult> {
    const [result] = await this.appendMany([request]);
    if (result instanceof Error) throw result;
    return result!;
  }

  appendMany(requests: readonly AppendRequest[]): Promise<Array<AppendResult | AppendError>> {
    return this.track(async () => {
      for (const request of requests) assertAppendRequest(request);
      const results = new Array<AppendResult | AppendError>(requests.length);
      // A statement can move each stream once: a batch naming a stream twice runs in
      // rounds, the second request after the first, as if appended one after the other.
      let rest: Pending[] = requests.map((request, slot) => ({ slot, request, traceId: Buffer.from(request.streamId, "hex") }));
      while (rest.length > 0) {
        const round: Pending[] = [];
        const later: Pending[] = [];
        const seen = new Set<string>();
        for (const pending of rest) {
          if (seen.has(pending.request.streamId)) later.push(pending);
          else {
            seen.add(pending.request.streamId);
            round.push(pending);
          }
        }
        await this.appendRound(round, results);
        rest = later;
      }
      return results;
    });
  }

  /** Appends requests for distinct streams, retrying the ones a race left undecided. */
  private async appendRound(round: Pending[], results: Array<AppendResult | AppendError>): Promise<void> {
    let todo = round;
    for (let attempt = 1; todo.length > 0; attempt++) {
      if (attempt > this.maxAttempts) {
        throw new Error(`append: ${todo.length} request(s) still undecided after ${this.maxAttempts} attempts (heavy contention)`);
      }
      let rows: AppendRow[];
      // The requests go to SQL sorted by stream, so that concurrent batches lock rows in
      // the same order; their events keep the batch's order, and so do their positions.
      const order = todo.map((_, i) => i).sort((a, b) => Buffer.compare(todo[a]!.traceId, todo[b]!.traceId));
      try {
        rows = await this.runAppend(todo, order);
      } catch (error) {
        const code = (error as { code?: string }).code;
        const constraint = (error as { constraint_name?: string }).constraint_name;
        if (code === "23505" && constraint === "events_trace_id_event_id_key") {
          // A stream's check passed but some event id is already stored (a retry with
          // "any", a racing retry, or a reused id): the statement did nothing. Answer
          // those requests from what is stored, and send the others again.
          todo = await this.answerStored(todo, results);
          continue;
        }
        if (code === "40P01") continue; // deadlock with another batch: nothing was written
        throw error;
      }
      const retry: Pending[] = [];
      for (const row of rows) {
        const pending = todo[order[row.ord - 1]!]!;
        const outcome = this.outcome(pending, row);
        if (outcome === undefined) retry.push(pending);
        else results[pending.slot] = outcome;
      }
      todo = retry;
    }
  }

  /** `order[j]` is the index in `todo` of the request sent as row j + 1. */
  private runAppend(todo: readonly Pending[], order: readonly number[]): Promise<AppendRow[]> {
    const rowOf = new Array<number>(todo.length);
    order.forEach((index, j) => (rowOf[index] = j + 1));
    const firstOf = new Array<number>(todo.length);
    const ords: number[] = [];
    const eventIds: string[] = [];
    const types: string[] = [];
    const payloads: Uint8Array[] = [];
    const occurredAts: bigint[] = [];
    todo.forEach(({ request }, i) => {
      firstOf[i] = eventIds.length + 1;
      for (const event of request.events) {
        ords.push(rowOf[i]!);
        eventIds.push(event.eventId);
        types.push(event.type);
        payloads.push(event.payload);
        occurredAts.push(event.occurredAt);
      }
    });
    const traceIds: Buffer[] = [];
    const expected: number[] = [];
    const counts: number[] = [];
    const firsts: number[] = [];
    for (const index of order) {
      const { request, traceId } = todo[index]!;
      const version = request.expectedVersion;
      traceIds.push(traceId);
      expected.push(version === "any" ? ANY : version === "no_stream" ? 0 : version);
      counts.push(request.events.length);
      firsts.push(firstOf[index]!);
    }
    return this.sql.unsafe<AppendRow[]>(
      APPEND_SQL,
      [
        byteaArray(traceIds),
        int4Array(expected),
        int4Array(counts),
        int4Array(firsts),
        int4Array(ords),
        uuidArray(eventIds),
        textArrayLiteral(types),
        byteaArray(payloads),
        int8Array(occurredAts),
        this.clock().toString(),
      ],
      { prepare: true },
    ) as unknown as Promise<AppendRow[]>;
  }

  /** The answer for one request, or undefined when it must be sent again. */
  private outcome(pending: Pending, row: AppendRow): AppendResult | AppendError | undefined {
    const { request } = pending;
    if (row.next_version !== null) {
      return {
        streamId: request.streamId,
        nextVersion: row.next_version,
        positions: textArray(row.positions).map((p) => BigInt(p)),
        duplicate: false,
      };
    }
    const matches = storedMatches(row);
    if (matches.length > 0) return answerStoredIds(request, matches);
    const actual = row.actual ?? 0;
    // The check failed, yet the statement's snapshot shows the expected version: a
    // concurrent append moved the stream meanwhile. Send it again to learn where it
    // stands now (and whether that append held these very ids).
    if (actual === row.base) return undefined;
    return new VersionConflictError(request.streamId, request.expectedVersion, actual);
  }

  /** Answers the requests whose ids are stored; returns the others. */
  private async answerStored(todo: Pending[], results: Array<AppendResult | AppendError>): Promise<Pending[]> {
    const traceIds: Buffer[] = [];
    const firsts: number[] = [];
    const ords: number[] = [];
    const eventIds: string[] = [];
    const types: string[] = [];
    const payloads: Uint8Array[] = [];
    const occurredAts: bigint[] = [];
    todo.forEach(({ request, traceId }, i) => {
      traceIds.push(traceId);
      firsts.push(eventIds.length + 1);
      for (const event of request.events) {
        ords.push(i + 1);
        eventIds.push(event.eventId);
        types.push(event.type);
        payloads.push(event.payload);
        occurredAts.push(event.occurredAt);
      }
    });
    const rows = (await this.sql.unsafe(
      STORED_IDS_SQL,
      [
        byteaArray(traceIds),
        int4Array(firsts),
        int4Array(ords),
        uuidArray(eventIds),
        textArrayLiteral(types),
        byteaArray(payloads),
        int8Array(occurredAts),
      ],
      { prepare: true },
    )) as unknown as StoredRow[];
    const answered = new Set<number>();
    for (const row of rows) {
      const pending = todo[row.ord - 1]!;
      results[pending.slot] = answerStoredIds(pending.request, storedMatches(row));
      answered.add(row.ord - 1);
    }
    return todo.filter((_, i) => !answered.has(i));
  }

  async readStream(streamId: StreamId, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    return this.track(async () => {
      assertStreamId(streamId);
      assertReadStreamOptions(options);
      const sql = this.sql;
      const traceId = Buffer.from(streamId, "hex");
      const after = options.afterVersion ?? 0;
      const rows = await sql<EventRow[]>`
        select trace_id, version, event_id, type, payload, occurred_at, recorded_at, position
        from events
        where trace_id = ${traceId} and version > ${after}
          ${options.toVersion === undefined ? sql`` : sql`and version <= ${options.toVersion}`}
          ${options.recordedAtOrBefore === undefined ? sql`` : sql`and recorded_at <= ${options.recordedAtOrBefore}`}
        order by version
        ${options.limit === undefined ? sql`` : sql`limit ${options.limit}`}`;
      return rows.map((row) => toStoredEvent(row, streamId));
    });
  }

  async streamVersion(streamId: StreamId): Promise<number> {
    return this.track(async () => {
      assertStreamId(streamId);
      const [row] = await this.sql<{ version: number }[]>`
        select version from streams where trace_id = ${Buffer.from(streamId, "hex")}`;
      return row?.version ?? 0;
    });
  }

  async readAll(checkpoint: GlobalCheckpoint, limit: number): Promise<ReadAllResult> {
    return this.track(async () => {
      assertCheckpoint(checkpoint);
      assertLimit(limit);
      const rows = await this.sql<EventRow[]>`
        select trace_id, version, event_id, type, payload, occurred_at, recorded_at, position, tx_id::text as tx
        from events e
        where (e.tx_id, e.position) > (${checkpoint.transactionId.toString()}::xid8, ${checkpoint.position.toString()}::int8)
          and e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
        order by e.tx_id, e.position
        limit ${limit}`;
      const events = rows.map((row) => toStoredEvent(row));
      const last = rows[rows.length - 1];
      return {
        events,
        checkpoint: last ? { transactionId: BigInt(last.tx!), position: toBigInt(last.position) } : checkpoint,
      };
    });
  }

  async loadCheckpoint(subscriberId: string, shard = 0): Promise<GlobalCheckpoint> {
    return this.track(async () => {
      assertSubscriber(subscriberId);
      assertShard(shard);
      const [row] = await this.sql<{ tx_id: string; position: bigint | string }[]>`
        select tx_id::text as tx_id, position from subscriber_checkpoints
        where subscriber_id = ${subscriberId} and shard = ${shard}`;
      return row ? { transactionId: BigInt(row.tx_id), position: toBigInt(row.position) } : START_OF_LOG;
    });
  }

  async saveCheckpoint(subscriberId: string, expected: GlobalCheckpoint, next: GlobalCheckpoint, shard = 0): Promise<boolean> {
    return this.track(async () => {
      assertSubscriber(subscriberId);
      assertShard(shard);
      assertCheckpoint(expected, "expected checkpoint");
      assertCheckpoint(next, "next checkpoint");
      const sql = this.sql;
      const nextTx = next.transactionId.toString();
      const nextPosition = next.position.toString();
      const expectedTx = expected.transactionId.toString();
      const expectedPosition = expected.position.toString();
      const now = this.clock();
      // No row stands for START_OF_LOG, so only an expectation of the start may insert.
      const rows =
        compareCheckpoints(expected, START_OF_LOG) === 0
          ? await sql`
              insert into subscriber_checkpoints as c (subscriber_id, shard, tx_id, position, updated_at)
              values (${subscriberId}, ${shard}, ${nextTx}::xid8, ${nextPosition}::int8, ${now})
              on conflict (subscriber_id, shard) do update
                set tx_id = excluded.tx_id, position = excluded.position, updated_at = excluded.updated_at
                where c.tx_id = ${expectedTx}::xid8 and c.position = ${expectedPosition}::int8
              returning 1`
          : await sql`
              update subscriber_checkpoints
                set tx_id = ${nextTx}::xid8, position = ${nextPosition}::int8, updated_at = ${now}
              where subscriber_id = ${subscriberId} and shard = ${shard}
                and tx_id = ${expectedTx}::xid8 and position = ${expectedPosition}::int8
              returning 1`;
      return rows.length === 1;
    });
  }

  /** Waits for the operations under way; later calls are refused. The client stays open. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the event store is closed"));
    const promise = operation();
    this.inFlight.add(promise);
    const forget = () => this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}

function storedMatches(row: StoredRow): StoredMatch[] {
  const versions = textArray(row.stored_versions);
  const positions = textArray(row.stored_positions);
  const same = textArray(row.stored_same);
  return textArray(row.stored_idx).map((index, k) => ({
    index: Number(index),
    version: Number(versions[k]),
    position: BigInt(positions[k]!),
    sameContent: same[k] === "t",
  }));
}

function toStoredEvent(row: EventRow, streamId?: StreamId): StoredEvent {
  const payload = row.payload;
  return {
    streamId: streamId ?? row.trace_id.toString("hex"),
    version: row.version,
    eventId: row.event_id,
    type: row.type,
    payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
    occurredAt: toBigInt(row.occurred_at),
    recordedAt: toBigInt(row.recorded_at),
    position: toBigInt(row.position),
  };
}

/** int8 arrives as bigint with the client from createPostgresClient, as a string otherwise. */
function toBigInt(value: bigint | string): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}

function assertSubscriber(subscriberId: string): void {
  if (typeof subscriberId !== "string" || subscriberId === "") throw new TypeError("subscriber id must be a non-empty string");
}

