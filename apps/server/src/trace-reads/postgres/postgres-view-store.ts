// What a trace read needs from PostgreSQL, in one statement (one round trip):
// the stream's current version, the newest usable snapshot past what the reader
// already holds, and the events after that snapshot, within the read's bounds.
//
// Views are stored deflate-compressed (raw deflate, level 1): a 1,000-span view
// of 278 KB is 24 KB stored. postgres.js reads bytea as hex text, so the bytes on
// the wire are what a read pays for (measured: ~2 ms of Node CPU to take in a
// 278 KB view, 0.3 ms to inflate it from 24 KB).
//
// A big trace must not hold the event loop while it is taken in: its events come
// in rows of EVENTS_PER_ROW (postgres.js parses a row as it arrives, and a single
// value of 127,000 events took 0.5 s to parse), unframed in time slices, and a
// big snapshot is inflated in zlib's threads (a 17 MB view took 0.3 s inline).

import { promisify } from "node:util";
import { createInflateRaw, deflateRaw, inflateRawSync } from "node:zlib";
import type { Sql } from "../../database/open-database.js";
import { TimeSlices } from "../time-slices.js";
import type { ViewEvent, ViewSnapshot, ViewSources, ViewSourcesQuery, ViewStore } from "../view-store.js";
import { VIEW_FORMAT } from "../view-format.js";

const deflate = promisify(deflateRaw);
const INT4_MAX = 2_147_483_647;
const INT8_MAX = 9_223_372_036_854_775_807n;
/** Events per result row: ~150 KB for spans of a few attributes, ~3 ms to parse and unframe. */
const EVENTS_PER_ROW = 1024;
/** Snapshots stored larger than this are inflated off the event loop (inline: ~0.3 ms per 24 KB). */
const INLINE_INFLATE_BYTES = 64 * 1024;
/** Output chunks of an inflate off the loop: each is one callback on it, and one copy into the view. */
const INFLATE_CHUNK_BYTES = 1024 * 1024;

/**
 * $1 trace id, $2 format, $3 the version the reader already holds (0 for none),
 * $4 the highest version wanted, $5 the latest recorded_at wanted. Rows: each
 * has the stream's version now (0 when it does not exist) and the snapshot's
 * version and time if any; the first also its view. Then the events after
 * max($3, snapshot) in version order, EVENTS_PER_ROW versions a row, framed into
 * one bytea (below): one row for a usual read. Rows come in no given order (an
 * ORDER BY would sort their values); the reader orders them. recorded_at never
 * decreases along a stream, so "recorded at or before $5" is a prefix (rows past
 * it count 0 events). A snapshot past the stream's version is not of this
 * stream (its events were deleted, the snapshot was not): never used. Nor is one
 * whose time is not that of the event at its version: a trace deleted by retention
 * and begun again under its id is another stream, and a snapshot of the old one
 * (stored by a read that raced the deletion) must not serve it. Each row also says
 * when the event at $3 was recorded, for the same check of the reader's own state.
 *
 * Each event is framed as int8 recorded_at, int2 type length, the type's UTF-8
 * bytes, int4 payload length, the payload (the *send functions write
 * big-endian): postgres.js spends ~5 us of CPU per result row, so 64 events as
 * rows cost 350-470 us against 140-210 us as one value (measured).
 */
const VIEW_SOURCES_SQL = `
with head as (
  select coalesce((select max(e.version) from events e where e.trace_id = $1), 0) as version
),
snap as (
  select s.version, s.recorded_at, s.view from trace_view_snapshots s
  where s.trace_id = $1 and s.format = $2 and s.version > $3 and s.version <= $4 and s.recorded_at <= $5
    and s.version <= (select version from head)
    and s.recorded_at = (select e.recorded_at from events e where e.trace_id = $1 and e.version = s.version)
  order by s.version desc
  limit 1
),
tail as (
  select greatest($3, coalesce((select snap.version from snap), 0)) + 1 as first,
         least($4, (select version from head)) as last
)
select (select version from head) as head,
       (select e.recorded_at from events e where e.trace_id = $1 and e.version = $3) as after_recorded_at,
       snap.version as snapshot_version, snap.recorded_at as snapshot_recorded_at,
       case when r.first is null or r.first = tail.first then snap.view end as snapshot_view,
       t.first_version, t.last_version, t.count, t.events
from tail
left join lateral generate_series(tail.first, tail.last, ${EVENTS_PER_ROW}) as r(first) on true
left join lateral (
  select min(e.version) as first_version, max(e.version) as last_version, count(*)::int4 as count,
         string_agg(int8send(e.recorded_at) || int2send(octet_length(e.type)::int2) || convert_to(e.type, 'UTF8')
                    || int4send(octet_length(e.payload)) || e.payload, ''::bytea order by e.version) as events
    from events e
   where e.trace_id = $1 and e.version >= r.first and e.version <= least(r.first::int8 + ${EVENTS_PER_ROW - 1}, tail.last)
     and e.recorded_at <= $5
) t on true
left join snap on true
`;

interface SourcesRow {
  head: number;
  after_recorded_at: bigint | null;
  snapshot_version: number | null;
  snapshot_recorded_at: bigint | null;
  snapshot_view: Buffer | null;
  first_version: number | null;
  last_version: number | null;
  count: number;
  events: Buffer | null;
}

export class PostgresViewStore implements ViewStore {
  constructor(private readonly sql: Sql) {}

  async load(query: ViewSourcesQuery): Promise<ViewSources> {
    const rows = (await this.sql.unsafe(
      VIEW_SOURCES_SQL,
      [
        Buffer.from(query.traceId, "hex"),
        VIEW_FORMAT,
        query.after,
        Math.min(query.toVersion ?? INT4_MAX, INT4_MAX),
        (query.recordedAtOrBefore ?? INT8_MAX).toString(),
      ] as never[],
      { prepare: true },
    )) as unknown as SourcesRow[];
    const lead = rows.find((row) => row.snapshot_view !== null) ?? rows[0]!;
    const snapshot: ViewSnapshot | undefined =
      lead.snapshot_version === null ? undefined : { version: lead.snapshot_version, recordedAt: BigInt(lead.snapshot_recorded_at!), view: await inflated(lead.snapshot_view!) };
    // The rows with events, in version order; together they must hold every version from the first to the last.
    const parts = rows.filter((row) => row.count > 0).sort((a, b) => a.first_version! - b.first_version!);
    const slices = new TimeSlices();
    const events: ViewEvent[] = [];
    for (const [i, row] of parts.entries()) {
      const contiguous = i === 0 || row.first_version === parts[i - 1]!.last_version! + 1;
      if (!contiguous || row.last_version! - row.first_version! + 1 !== row.count) {
        const count = parts.reduce((n, part) => n + part.count, 0);
        throw new Error(`trace ${query.traceId}: versions ${parts[0]!.first_version}..${parts.at(-1)!.last_version} hold ${count} events`);
      }
      if (i > 0 && slices.due) await slices.pause();
      unframe(row.events!, row.first_version!, row.count, events);
    }
    return { head: lead.head, afterRecordedAt: lead.after_recorded_at === null ? undefined : BigInt(lead.after_recorded_at), snapshot, events };
  }

  async save(traceId: string, snapshot: ViewSnapshot): Promise<void> {
    // In zlib's threads, off the event loop.
    const compressed = await deflate(snapshot.view, { level: 1 });
    // Same version, same events, same format: the same bytes, so a row already there stays.
    await this.sql`
      insert into trace_view_snapshots (trace_id, version, format, recorded_at, view)
      values (${Buffer.from(traceId, "hex")}, ${snapshot.version}, ${VIEW_FORMAT}, ${snapshot.recordedAt}, ${compressed})
      on conflict (trace_id, version) do update
        set format = excluded.format, recorded_at = excluded.recorded_at, view = excluded.view
        where trace_view_snapshots.format <> excluded.format`;
  }
}

function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * A stored view, inflated: inline when small, else in zlib's threads, its chunks
 * then copied into one buffer in time slices (zlib's own concatenation of a 17 MB
 * view held the loop ~45 ms).
 */
async function inflated(stored: Buffer): Promise<Uint8Array> {
  if (stored.length <= INLINE_INFLATE_BYTES) return view(inflateRawSync(stored));
  const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
  inflater.end(stored);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of inflater as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
  }
  const out = new Uint8Array(size);
  const slices = new TimeSlices();
  let at = 0;
  for (const chunk of chunks) {
    if (slices.due) await slices.pause();
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** The events framed by VIEW_SOURCES_SQL, versions first, first + 1, ..., added to `events`. */
function unframe(framed: Buffer, firstVersion: number, count: number, events: ViewEvent[]): void {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const recordedAt = framed.readBigInt64BE(at);
    const typeLength = framed.readInt16BE(at + 8);
    const type = framed.toString("utf8", at + 10, at + 10 + typeLength);
    at += 10 + typeLength;
    const payloadLength = framed.readInt32BE(at);
    at += 4;
    events.push({ version: firstVersion + i, recordedAt, type, payload: new Uint8Array(framed.buffer, framed.byteOffset + at, payloadLength) });
    at += payloadLength;
  }
  if (at !== framed.length) throw new Error(`framed events: ${framed.length - at} bytes left over after ${count} events`);
}
