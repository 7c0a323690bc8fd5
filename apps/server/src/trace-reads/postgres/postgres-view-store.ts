// What a trace read needs from PostgreSQL, in one statement (one round trip):
// the stream's current version, the newest usable snapshot past what the reader
// already holds, and the events after that snapshot, within the read's bounds.
//
// Views are stored deflate-compressed (raw deflate, level 1): a 1,000-span view
// of 278 KB is 24 KB stored. postgres.js reads bytea as hex text, so the bytes on
// the wire are what a read pays for (measured: ~2 ms of Node CPU to take in a
// 278 KB view, 0.3 ms to inflate it from 24 KB).

import { promisify } from "node:util";
import { deflateRaw, inflateRawSync } from "node:zlib";
import type { Sql } from "../../database/open-database.js";
import type { ViewEvent, ViewSnapshot, ViewSources, ViewSourcesQuery, ViewStore } from "../view-store.js";
import { VIEW_FORMAT } from "../view-format.js";

const deflate = promisify(deflateRaw);
const INT4_MAX = 2_147_483_647;
const INT8_MAX = 9_223_372_036_854_775_807n;

/**
 * $1 trace id, $2 format, $3 the version the reader already holds (0 for none),
 * $4 the highest version wanted, $5 the latest recorded_at wanted. One row: the
 * stream's version now (0 when it does not exist), the snapshot if any, and the
 * events after max($3, snapshot) in version order, framed into one bytea (below).
 * recorded_at never decreases along a stream, so "recorded at or before $5" is a
 * prefix. A snapshot past the stream's version is not of this stream (its events
 * were deleted, the snapshot was not): never used.
 *
 * The events travel as one value, each framed as int8 recorded_at, int2 type
 * length, the type's UTF-8 bytes, int4 payload length, the payload (the *send
 * functions write big-endian): postgres.js spends ~5 us of CPU per result row,
 * so 64 events as rows cost 350-470 us against 140-210 us as one value (measured).
 */
const VIEW_SOURCES_SQL = `
with head as (
  select coalesce((select max(e.version) from events e where e.trace_id = $1), 0) as version
),
snap as (
  select s.version, s.recorded_at, s.view from trace_view_snapshots s
  where s.trace_id = $1 and s.format = $2 and s.version > $3 and s.version <= $4 and s.recorded_at <= $5
    and s.version <= (select version from head)
  order by s.version desc
  limit 1
),
tail as (
  select e.version, e.recorded_at, e.type, e.payload from events e
  where e.trace_id = $1 and e.version > greatest($3, coalesce((select snap.version from snap), 0))
    and e.version <= $4 and e.recorded_at <= $5
)
select (select version from head) as head,
       snap.version as snapshot_version, snap.recorded_at as snapshot_recorded_at, snap.view as snapshot_view,
       t.first_version, t.last_version, t.count, t.events
from (select min(version) as first_version, max(version) as last_version, count(*)::int4 as count,
             string_agg(int8send(recorded_at) || int2send(octet_length(type)::int2) || convert_to(type, 'UTF8')
                        || int4send(octet_length(payload)) || payload, ''::bytea order by version) as events
        from tail) t
left join snap on true
`;

interface SourcesRow {
  head: number;
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
    const [row] = (await this.sql.unsafe(
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
    const snapshot: ViewSnapshot | undefined =
      row!.snapshot_version === null
        ? undefined
        : { version: row!.snapshot_version, recordedAt: BigInt(row!.snapshot_recorded_at!), view: view(inflateRawSync(row!.snapshot_view!)) };
    if (row!.count > 0 && row!.last_version! - row!.first_version! + 1 !== row!.count) {
      throw new Error(`trace ${query.traceId}: versions ${row!.first_version}..${row!.last_version} hold ${row!.count} events`);
    }
    return { head: row!.head, snapshot, events: row!.events ? unframe(row!.events, row!.first_version!, row!.count) : [] };
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

/** The events framed by VIEW_SOURCES_SQL, versions first, first + 1, ... */
function unframe(framed: Buffer, firstVersion: number, count: number): ViewEvent[] {
  const events: ViewEvent[] = [];
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
  return events;
}
