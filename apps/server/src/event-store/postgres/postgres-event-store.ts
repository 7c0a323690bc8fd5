// The EventStore on PostgreSQL, through postgres.js (the hot path is hand-written SQL;
// the tables come from schema.ts through drizzle-kit migrations).
//
// Appends: one statement per batch, whatever the number of streams (group commit).
// Requests and events travel as parameter arrays, unnested into rows. A stream's
// version is its last event's (one backward probe of events_pkey per request): the
// statement inserts the events of the requests whose expected version matches it and
// returns which went in, at which versions and positions. No other row is written:
// a table of stream versions, moved by compare-and-set, cost PostgreSQL a second row
// version per append (group commit at 51% of the raw ceiling against 62% without it,
// measured). Two writers that saw the same version race on events_pkey instead: the
// later one's statement fails with a unique violation once the first commits, having
// written nothing, and its requests are checked again. Nothing else runs when every
// check passes: the event ids are looked up (a retry, or a reused id?) only for the
// requests whose check failed, in a second query.
//
// "any" appends after the version the statement's snapshot sees, sent again when a
// concurrent append took that version: so a stream's events are always written by
// transactions in version order, and readAll, which orders by transaction id, hands
// them out in version order.
//
// readAll: events in (tx_id, position) order, only below the oldest transaction still
// running (pg_snapshot_xmin), so an event that commits late with a smaller position
// is never skipped (Emmett's approach). A page comes back as one framed value, not a
// row per event (read-all-frames.ts): ~1.7 us of Node CPU per event against ~5-6
// (tools/bench/read-all.ts). With the readAllWindow option, the latest pages stay in
// memory for the other readers following the log (read-all-window.ts). Each page read
// from PostgreSQL also says up to when the log is known complete (its horizon: about the
// start of the oldest transaction it could not see past, HELD_BACK_SQL, and before the
// oldest append of this store that PostgreSQL may not know of yet), which the monitoring
// saga's clock follows; a page from memory says nothing about that.

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
  type StreamHead,
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
  type StoredMatch,
  systemClock,
} from "../rules.js";
import type { Sql } from "../../database/open-database.js";
import { appendRounds, type PendingAppend } from "../append-rounds.js";
import { moveCheckpoint } from "./move-checkpoint.js";
import { EVENT_FRAME_SQL, unframeEvents } from "./read-all-frames.js";
import { ReadAllWindow, type ReadAllWindowLimits } from "./read-all-window.js";
import { hexByteaArray, int4Array, int8Array, textArray, textArrayLiteral, uuidArray } from "./sql-arrays.js";

interface PostgresEventStoreOptions {
  /** Unix nanoseconds for recordedAt. Default: the system clock. */
  readonly clock?: () => bigint;
  /**
   * How many times a batch is sent again after a transient failure (a deadlock between
   * batches, or a racing writer). Default 20.
   */
  readonly maxAttempts?: number;
  /**
   * readAll stops a page once its payloads pass this many bytes (the first event always
   * comes): the page travels as one value. Default 64 MiB.
   */
  readonly readAllPayloadBudget?: number;
  /**
   * Keep the latest pages readAll returned, so that other readers following the log take
   * them from memory (read-all-window.ts). Default: off. Only for a store whose events
   * table is never emptied under it: a test that truncates the table makes a new store.
   */
  readonly readAllWindow?: ReadAllWindowLimits;
  /** Told after each readAll that returned events: how many, and whether the window had them. For metrics. */
  readonly onReadAll?: (events: number, fromWindow: boolean) => void;
}

/** Expected version as sent to SQL: -1 for "any", else the exact version (0 = no stream). */
const ANY = -1;

/**
 * The group commit: one statement, any number of streams (each at most once).
 * $1-$5 one element per request, sorted by trace id (so that concurrent batches probe
 * and insert in one order): trace id, expected version (-1 = any), expected last
 * position (0 = not given), event count, index of its first event. $6-$11 one element
 * per event, in the batch's order: its request's row number, id, type, where its payload
 * starts in $13 and its length, occurredAt. $12 the clock. $13 every payload, one after
 * the other: one bytea costs PostgreSQL and Node far less to encode and decode than an
 * array of them. The expected last position is checked on the head row the version comes
 * from (read for its recorded time anyway): no other read.
 * Returns one row: the row numbers of the requests that went in and their new versions
 * (two arrays in one order, not sorted), and the positions of all inserted events by
 * (trace id, version), that is by request row number, then version.
 */
const APPEND_SQL = `
with req as (
  select r.trace_id, r.expected, r.last, r.n, r.first, r.ord, coalesce(h.version, 0) as head, h.position as head_position,
         h.recorded_at as head_recorded_at
  from unnest($1::bytea[], $2::int4[], $3::int8[], $4::int4[], $5::int4[]) with ordinality as r(trace_id, expected, last, n, first, ord)
  left join lateral (
    select x.version, x.position, x.recorded_at from events x where x.trace_id = r.trace_id order by x.version desc limit 1
  ) h on true
),
won as (
  select r.ord, r.trace_id, r.n, r.first, r.head + r.n as version, greatest(r.head_recorded_at, $12::int8) as recorded_at
  from req r
  where r.expected < 0 or (r.expected = r.head and (r.last = 0 or r.last = r.head_position))
),
inserted as (
  insert into events (trace_id, version, event_id, type, payload, occurred_at, recorded_at)
  select w.trace_id, w.version - w.n + (e.i - w.first)::int4 + 1, e.event_id, e.type,
         substring($13::bytea from e.payload_at for e.payload_length), e.occurred_at, w.recorded_at
  from unnest($6::int4[], $7::uuid[], $8::text[], $9::int4[], $10::int4[], $11::int8[])
         with ordinality as e(ord, event_id, type, payload_at, payload_length, occurred_at, i)
  join won w on w.ord = e.ord
  order by e.i
  returning trace_id, version, position
)
select w.won, w.versions, (select array_agg(position order by trace_id, version)::text from inserted) as positions
from (select array_agg(ord)::text as won, array_agg(version)::text as versions from won) w
`;

/** $1 stream ids (hex): each one's version, 0 for none, in their order. */
const STREAM_VERSIONS_SQL = `
select coalesce((select max(e.version) from events e where e.trace_id = decode(s.id, 'hex')), 0) as version
from unnest($1::text[]) with ordinality as s(id, ord)
order by s.ord
`;

/**
 * For requests that did not go in: the stream's version now and its last event's
 * position, and which of their event ids the stream holds, where, and with the same
 * content or not.
 * $1-$2 per request: trace id, index of its first event; $3-$8 per event and $9 the
 * payloads, as above.
 */
const INSPECT_SQL = `
with req as (
  select * from unnest($1::bytea[], $2::int4[]) with ordinality as r(trace_id, first, ord)
),
ev as (
  select e.ord, e.event_id, e.type, substring($9::bytea from e.payload_at for e.payload_length) as payload, e.occurred_at, e.i
  from unnest($3::int4[], $4::uuid[], $5::text[], $6::int4[], $7::int4[], $8::int8[])
    with ordinality as e(ord, event_id, type, payload_at, payload_length, occurred_at, i)
),
found as (
  select e.ord,
         array_agg((e.i - r.first)::int4 order by e.i)::text as stored_idx,
         array_agg(x.version order by e.i)::text as stored_versions,
         array_agg(x.position order by e.i)::text as stored_positions,
         array_agg(x.same order by e.i)::text as stored_same
  from ev e
  join req r on r.ord = e.ord
  cross join lateral (
    select x.version, x.position, (x.type = e.type and x.payload = e.payload and x.occurred_at = e.occurred_at) as same
    from events x where x.trace_id = r.trace_id and x.event_id = e.event_id
    limit 1
  ) x
  group by e.ord
)
select r.ord::int4 as ord, coalesce(h.version, 0) as current, h.position as current_position,
       f.stored_idx, f.stored_versions, f.stored_positions, f.stored_same
from req r
left join lateral (
  select x.version, x.position from events x where x.trace_id = r.trace_id order by x.version desc limit 1
) h on true
left join found f on f.ord = r.ord
`;

/** The events after the checkpoint ($1, $2), below the oldest transaction still running. */
const READ_ALL_AFTER = `(e.tx_id, e.position) > ($1::xid8, $2::int8) and e.tx_id < pg_snapshot_xmin(pg_current_snapshot())`;

/**
 * How far back the read's horizon is held, in microseconds before the statement's end, or
 * null when nothing holds it: the oldest start of the transactions whose events this read
 * could not see. Those are the ones with a transaction id (pg_snapshot_xmin is the oldest
 * of them, cluster-wide, and the read stops below it) and this server's own statements
 * still running in this database (an append has no id until it writes: it may be waiting
 * on a lock). -1 when one of them belongs to a role whose transaction start this one may
 * not see (it needs pg_read_all_stats), or a prepared (two-phase) transaction holds an id
 * (it has no session to show its start): the horizon is then unknown. One read of the
 * server's activity per page (pg_stat_get_activity, not the view: no joins), no round trip.
 */
const HELD_BACK_SQL = `
select case when exists (select 1 from pg_prepared_xacts) or bool_or(a.xact_start is null) then -1::int8
            else greatest(0, (extract(epoch from clock_timestamp() - min(a.xact_start)) * 1000000)::int8) end
from pg_stat_get_activity(null) a
where a.pid <> pg_backend_pid()
  and (a.backend_xid is not null
       or (a.state = 'active' and a.application_name = current_setting('application_name')
           and a.datid = (select d.oid from pg_database d where d.datname = current_database())))
`;

/**
 * One page of the global log, $1 the checkpoint's transaction id, $2 its position, $3 the
 * limit, $4 the page's payload budget in bytes: events after the checkpoint in (tx_id,
 * position) order, at most $3 of them, and only as long as the payloads before each fit in
 * $4 (so the first always comes). One row: how many, and the events framed into one bytea
 * (read-all-frames.ts) sent as base64 text: postgres.js takes in bytea as hex, twice the
 * bytes, and Node decodes base64 ~7x faster than hex (0.04 against 0.29 us per event).
 *
 * The budget sets the limit: the $3 events' payloads summed (a second scan of the same
 * index entries, ~0.1 us per event), and only when they pass $4 the count that fits, from
 * a running sum (a window over the page costs PostgreSQL ~0.7 us per event: run only then,
 * as an init plan runs when first needed). Both scans see the statement's snapshot.
 */
const READ_ALL_SQL = `
select count(*)::int4 as count, encode(string_agg(${EVENT_FRAME_SQL}, ''::bytea order by e.tx_id, e.position), 'base64') as events,
  (${HELD_BACK_SQL}) as held_back_us
from (
  select e.tx_id, e.position, e.trace_id, e.version, e.event_id, e.occurred_at, e.recorded_at, e.type, e.payload
  from events e
  where ${READ_ALL_AFTER}
  order by e.tx_id, e.position
  limit (
    select case when coalesce(sum(octet_length(p.payload)), 0) < $4 then $3 else (
      select count(*) from (
        select sum(octet_length(w.payload)) over (order by w.tx_id, w.position rows unbounded preceding) - octet_length(w.payload) as before
        from (select e.tx_id, e.position, e.payload from events e where ${READ_ALL_AFTER} order by e.tx_id, e.position limit $3) w
      ) w where w.before < $4
    ) end
    from (select e.payload from events e where ${READ_ALL_AFTER} order by e.tx_id, e.position limit $3) p
  )
) e
`;

/**
 * A page is one value in PostgreSQL (at most 1 GB) and one string in Node (at most
 * 2^29 - 24 characters of base64, about 400 MB of bytes): the default payload budget of a
 * page keeps well under both, and a page of 5,000 events reaches it only past ~13 KB a payload.
 */
const READ_ALL_PAYLOAD_BUDGET = 64 * 1024 * 1024;

/** Arrays come back in their text form ("{1,2}"), whatever the client's type setup. */
interface AppendRow {
  won: string | null;
  versions: string | null;
  positions: string | null;
}

interface InspectRow {
  ord: number;
  current: number;
  /** The last event's position (int8: bigint or string, by client); null for no stream. */
  current_position: bigint | string | null;
  stored_idx: string | null;
  stored_versions: string | null;
  stored_positions: string | null;
  stored_same: string | null;
}

interface EventRow {
  trace_id: Buffer;
  version: number;
  event_id: string;
  type: string;
  payload: Buffer;
  occurred_at: bigint | string;
  recorded_at: bigint | string;
  position: bigint | string;
}

interface ReadAllRow {
  count: number;
  /** The framed events in base64 (with line breaks); null when count is 0. */
  events: string | null;
  /** See HELD_BACK_SQL; int8 (bigint or string, by client). */
  held_back_us: bigint | string | null;
}

type Pending = PendingAppend;

/** Requests and their events as SQL array literals. */
interface Encoded {
  /** Per request, in the order given. */
  traceIds: string;
  expected: string;
  counts: string;
  firsts: string;
  /** Per event, in the batch's order. */
  ords: string;
  eventIds: string;
  types: string;
  payloadStarts: string;
  payloadLengths: string;
  occurredAts: string;
  /** Every payload, one after the other (a Buffer: postgres.js sends it as bytea's hex form). */
  payloads: Buffer;
}

export class PostgresEventStore implements EventStore {
  private readonly clock: () => bigint;
  private readonly maxAttempts: number;
  private readonly readAllPayloadBudget: number;
  private readonly window: ReadAllWindow | undefined;
  private readonly onReadAll: ((events: number, fromWindow: boolean) => void) | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /**
   * The recorded time each append statement of this store under way was given, taken before
   * it is sent: one may wait for a connection, or be on its way, while a read elsewhere
   * already ends, and PostgreSQL cannot show the read what it has not received.
   */
  private readonly appendsUnderWay = new Map<number, bigint>();
  private nextAppend = 0;

  /** The client belongs to the caller, who closes it after closing the store. */
  constructor(
    private readonly sql: Sql,
    options: PostgresEventStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = options.maxAttempts ?? 20;
    this.readAllPayloadBudget = options.readAllPayloadBudget ?? READ_ALL_PAYLOAD_BUDGET;
    this.window = options.readAllWindow ? new ReadAllWindow(options.readAllWindow) : undefined;
    this.onReadAll = options.onReadAll;
    if (!(Number.isSafeInteger(this.readAllPayloadBudget) && this.readAllPayloadBudget > 0)) {
      throw new RangeError(`readAllPayloadBudget must be a positive integer, got ${String(options.readAllPayloadBudget)}`);
    }
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
      for (const round of appendRounds(requests)) await this.appendRound(round, results);
      return results;
    });
  }

  /** Appends requests for distinct streams, in stream order, sending again the ones a race left undecided. */
  private async appendRound(round: readonly Pending[], results: Array<AppendResult | AppendError>): Promise<void> {
    let todo = round;
    for (let attempt = 1; todo.length > 0; attempt++) {
      if (attempt > this.maxAttempts) {
        throw new Error(`append: ${todo.length} request(s) still undecided after ${this.maxAttempts} attempts (heavy contention)`);
      }
      // In stream order (see append-rounds.ts); what inspect sends back again may not be.
      const sorted = attempt === 1 ? todo : [...todo].sort((a, b) => (a.request.streamId < b.request.streamId ? -1 : 1));
      let row: AppendRow;
      const now = this.clock();
      const underWay = this.nextAppend++;
      this.appendsUnderWay.set(underWay, now);
      try {
        [row] = (await this.sql.unsafe(APPEND_SQL, appendParameters(sorted, now), {
          prepare: true,
        })) as unknown as [AppendRow];
      } catch (error) {
        const code = (error as { code?: string }).code;
        const constraint = (error as { constraint_name?: string }).constraint_name;
        if (code === "23505" && constraint === "events_trace_id_event_id_key") {
          // A stream's check passed but one of its event ids is stored (a retry with
          // "any" or at the current version, a racing retry, or a reused id), and the
          // statement did nothing. Answer the requests holding stored ids; send the rest again.
          todo = await this.inspect(todo, results, "stored-ids-only");
          continue;
        }
        if (code === "23505" && constraint === "events_pkey") {
          // A racing batch took a version this one computed (both saw the same head):
          // nothing was written. Answer the requests whose stream moved; send the rest again.
          todo = await this.inspect(todo, results, "all");
          continue;
        }
        if (code === "40P01") continue; // a deadlock with another batch: nothing was written
        throw error;
      } finally {
        this.appendsUnderWay.delete(underWay);
      }
      // The new version of each request that went in, by row (0 for the others).
      const versionOf = new Array<number>(sorted.length).fill(0);
      const versions = textArray(row.versions);
      textArray(row.won).forEach((ord, k) => (versionOf[Number(ord) - 1] = Number(versions[k])));
      const positions = textArray(row.positions);
      const failed: Pending[] = [];
      let p = 0;
      sorted.forEach((pending, i) => {
        const nextVersion = versionOf[i]!;
        if (nextVersion === 0) {
          failed.push(pending);
          return;
        }
        const count = pending.request.events.length;
        results[pending.slot] = {
          streamId: pending.request.streamId,
          nextVersion,
          positions: positions.slice(p, p + count).map((x) => BigInt(x)),
          duplicate: false,
        };
        p += count;
      });
      todo = failed.length === 0 ? [] : await this.inspect(failed, results, "all");
    }
  }

  /**
   * Answers requests that did not go in: from their stored ids (a retry or a reused id),
   * else, with mode "all", from the stream's version now (a conflict). Returns the ones
   * to send again.
   */
  private async inspect(
    pending: readonly Pending[],
    results: Array<AppendResult | AppendError>,
    mode: "all" | "stored-ids-only",
  ): Promise<Pending[]> {
    const encoded = encode(pending, pending);
    const rows = (await this.sql.unsafe(
      INSPECT_SQL,
      [
        encoded.traceIds,
        encoded.firsts,
        encoded.ords,
        encoded.eventIds,
        encoded.types,
        encoded.payloadStarts,
        encoded.payloadLengths,
        encoded.occurredAts,
        encoded.payloads,
      ] as never[],
      { prepare: true },
    )) as unknown as InspectRow[];
    const again: Pending[] = [];
    for (const row of rows) {
      const item = pending[row.ord - 1]!;
      const matches = storedMatches(row);
      const expected = item.request.expectedVersion;
      const base = expected === "no_stream" ? 0 : expected;
      const last = item.request.expectedLastPosition;
      // At the expected version, but another last event: the stream was deleted and begun again.
      const begunAgain = last !== undefined && (row.current_position === null || toBigInt(row.current_position) !== last);
      if (matches.length > 0) results[item.slot] = answerStoredIds(item.request, matches);
      else if (mode === "stored-ids-only" || base === "any" || (row.current === base && !begunAgain)) {
        // Not decided: the stream moved between the check and now ("any" always goes
        // again), or the statement was undone by another request's stored id.
        again.push(item);
      } else results[item.slot] = new VersionConflictError(item.request.streamId, expected, row.current);
    }
    return again;
  }

  async readStream(streamId: StreamId, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    return this.track(async () => {
      assertStreamId(streamId);
      assertReadStreamOptions(options);
      const sql = this.sql;
      const traceId = Buffer.from(streamId, "hex");
      const after = options.afterVersion ?? 0;
      const range = sql`
        where trace_id = ${traceId} and version > ${after}
          ${options.toVersion === undefined ? sql`` : sql`and version <= ${options.toVersion}`}
          ${options.recordedAtOrBefore === undefined ? sql`` : sql`and recorded_at <= ${options.recordedAtOrBefore}`}
        order by version
        ${options.limit === undefined ? sql`` : sql`limit ${options.limit}`}`;
      // With a byte budget, the payloads' sizes are summed from their TOAST pointers (no
      // payload is read for it), and only the events before the budget ran out are sent:
      // a page of 3.5 MB events read 420 MB to answer 2 of them before.
      const rows =
        options.maxBytes === undefined
          ? await sql<EventRow[]>`select trace_id, version, event_id, type, payload, occurred_at, recorded_at, position from events ${range}`
          : await sql<EventRow[]>`
              select trace_id, version, event_id, type, payload, occurred_at, recorded_at, position from (
                select e.*, coalesce(sum(octet_length(e.payload)) over (order by e.version rows between unbounded preceding and 1 preceding), 0) as bytes_before
                from events e ${range}
              ) e
              where e.bytes_before < ${options.maxBytes}
              order by e.version`;
      return rows.map((row) => toStoredEvent(row, streamId));
    });
  }

  async streamVersion(streamId: StreamId): Promise<number> {
    return this.track(async () => {
      assertStreamId(streamId);
      const [row] = await this.sql<{ version: number }[]>`
        select max(version) as version from events where trace_id = ${Buffer.from(streamId, "hex")}`;
      return row?.version ?? 0;
    });
  }

  async streamHead(streamId: StreamId): Promise<StreamHead> {
    return this.track(async () => {
      assertStreamId(streamId);
      const [row] = await this.sql<{ version: number; position: bigint | string }[]>`
        select version, position from events where trace_id = ${Buffer.from(streamId, "hex")} order by version desc limit 1`;
      return row ? { version: row.version, lastPosition: toBigInt(row.position) } : { version: 0 };
    });
  }

  async streamVersions(streamIds: readonly StreamId[]): Promise<number[]> {
    return this.track(async () => {
      for (const streamId of streamIds) assertStreamId(streamId);
      if (streamIds.length === 0) return [];
      const rows = await this.sql.unsafe(STREAM_VERSIONS_SQL, [textArrayLiteral(streamIds)] as never[], { prepare: true });
      return (rows as unknown as Array<{ version: number }>).map((row) => row.version);
    });
  }

  async presentEventIds(streamId: StreamId, eventIds: readonly string[]): Promise<Set<string>> {
    return this.track(async () => {
      assertStreamId(streamId);
      if (eventIds.length === 0) return new Set<string>();
      const rows = await this.sql<Array<{ event_id: string }>>`
        select event_id from events where trace_id = ${Buffer.from(streamId, "hex")} and event_id = any(${uuidArray(eventIds)}::uuid[])`;
      return new Set(rows.map((row) => row.event_id));
    });
  }

  async readAll(checkpoint: GlobalCheckpoint, limit: number): Promise<ReadAllResult> {
    return this.track(async () => {
      assertCheckpoint(checkpoint);
      assertLimit(limit);
      const kept = this.window?.read(checkpoint, limit, this.readAllPayloadBudget);
      if (kept) {
        this.onReadAll?.(kept.events.length, true);
        return kept;
      }
      const before = this.clock();
      // Taken with `before`: an append that began later was stamped at or after it, and one that
      // ended before the statement began is visible to it.
      const oldestAppend = this.oldestAppendUnderWay();
      const [row] = (await this.sql.unsafe(
        READ_ALL_SQL,
        [checkpoint.transactionId.toString(), checkpoint.position.toString(), limit, this.readAllPayloadBudget] as never[],
        { prepare: true },
      )) as unknown as [ReadAllRow];
      const horizon = horizonBefore(horizonOf(before, row.held_back_us), oldestAppend);
      if (row.count === 0) return horizon === undefined ? { events: [], checkpoint } : { events: [], checkpoint, horizon };
      const framed = Buffer.from(row.events!, "base64");
      const page = unframeEvents(framed, row.count);
      // A page answered from memory later carries no horizon: it is not this read's.
      this.window?.remember(checkpoint, page.events, page.transactionIds, framed.length);
      this.onReadAll?.(row.count, false);
      // Nor does a page the payload budget cut short: events visible to this read, recorded
      // before its horizon, may come after it (a reader would take the page for the end).
      if (horizon === undefined || (row.count < limit && payloadBytes(page.events) >= this.readAllPayloadBudget)) {
        return { events: page.events, checkpoint: page.last! };
      }
      return { events: page.events, checkpoint: page.last!, horizon };
    });
  }

  private oldestAppendUnderWay(): bigint | undefined {
    let oldest: bigint | undefined;
    for (const at of this.appendsUnderWay.values()) if (oldest === undefined || at < oldest) oldest = at;
    return oldest;
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
      return moveCheckpoint(this.sql, subscriberId, shard, expected, next, this.clock());
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

function storedMatches(row: InspectRow): StoredMatch[] {
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

function payloadBytes(events: readonly StoredEvent[]): number {
  let bytes = 0;
  for (let i = 0; i < events.length; i++) bytes += events[i]!.payload.length;
  return bytes;
}

/**
 * The read's horizon on the store's clock: `before` (read before the statement) less how
 * long the oldest transaction it could not see had been running when the statement ended
 * (measured by PostgreSQL, so the two clocks need not agree); undefined when unknown.
 */
function horizonOf(before: bigint, heldBackUs: bigint | string | null): bigint | undefined {
  if (heldBackUs === null) return before;
  const us = toBigInt(heldBackUs);
  return us < 0n ? undefined : before - us * 1000n;
}

/** A horizon held back to just before the recorded time of an append still under way, if earlier. */
function horizonBefore(horizon: bigint | undefined, oldestAppend: bigint | undefined): bigint | undefined {
  return horizon !== undefined && oldestAppend !== undefined && oldestAppend <= horizon ? oldestAppend - 1n : horizon;
}

/** int8 arrives as bigint with the client from createPostgresClient, as a string otherwise. */
function toBigInt(value: bigint | string): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}

function assertSubscriber(subscriberId: string): void {
  if (typeof subscriberId !== "string" || subscriberId === "") throw new TypeError("subscriber id must be a non-empty string");
}

/** The statement's parameters; requests and their events in the order given. */
function appendParameters(sorted: readonly Pending[], now: bigint): never[] {
  const e = encode(sorted, sorted);
  return [
    e.traceIds,
    e.expected,
    int8Array(sorted.map((p) => p.request.expectedLastPosition ?? 0n)),
    e.counts,
    e.firsts,
    e.ords,
    e.eventIds,
    e.types,
    e.payloadStarts,
    e.payloadLengths,
    e.occurredAts,
    now.toString(),
    e.payloads,
  ] as never[];
}

/**
 * Requests as rows in `requestOrder` (row number = index + 1) and their events in
 * `eventOrder`, each event naming its request's row, each request its first event.
 */
function encode(requestOrder: readonly Pending[], eventOrder: readonly Pending[]): Encoded {
  const rowOf = new Map<number, number>();
  requestOrder.forEach((p, i) => rowOf.set(p.slot, i + 1));
  const firstOf = new Map<number, number>();
  const ords: number[] = [];
  const eventIds: string[] = [];
  const types: string[] = [];
  const payloads: Uint8Array[] = [];
  const payloadStarts: number[] = [];
  const payloadLengths: number[] = [];
  const occurredAts: bigint[] = [];
  let at = 1;
  for (const p of eventOrder) {
    firstOf.set(p.slot, eventIds.length + 1);
    const row = rowOf.get(p.slot)!;
    for (const event of p.request.events) {
      ords.push(row);
      eventIds.push(event.eventId);
      types.push(event.type);
      payloads.push(event.payload);
      payloadStarts.push(at);
      payloadLengths.push(event.payload.length);
      at += event.payload.length;
      occurredAts.push(event.occurredAt);
    }
  }
  return {
    traceIds: hexByteaArray(requestOrder.map((p) => p.request.streamId)),
    expected: int4Array(
      requestOrder.map(({ request: { expectedVersion: v } }) => (v === "any" ? ANY : v === "no_stream" ? 0 : v)),
    ),
    counts: int4Array(requestOrder.map((p) => p.request.events.length)),
    firsts: int4Array(requestOrder.map((p) => firstOf.get(p.slot)!)),
    ords: int4Array(ords),
    eventIds: uuidArray(eventIds),
    types: textArrayLiteral(types),
    payloadStarts: int4Array(payloadStarts),
    payloadLengths: int4Array(payloadLengths),
    occurredAts: int8Array(occurredAts),
    payloads: Buffer.concat(payloads, at - 1),
  };
}
