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
import type { ViewSnapshot, ViewSources, ViewSourcesQuery, ViewStore } from "../view-store.js";
import { VIEW_FORMAT } from "../view-format.js";

const deflate = promisify(deflateRaw);
const INT4_MAX = 2_147_483_647;
const INT8_MAX = 9_223_372_036_854_775_807n;

/**
 * $1 trace id, $2 format, $3 the version the reader already holds (0 for none),
 * $4 the highest version wanted, $5 the latest recorded_at wanted. Rows: kind 0
 * the stream's version now (0 when it does not exist), kind 1 the snapshot if
 * any, kind 2 the events after max($3, snapshot) in version order. recorded_at
 * never decreases along a stream, so "recorded at or before $5" is a prefix. A
 * snapshot past the stream's version is not of this stream (its events were
 * deleted, the snapshot was not): never used.
 */
export const VIEW_SOURCES_SQL = `
with head as (
  select coalesce((select st.version from streams st where st.trace_id = $1), 0) as version
),
snap as (
  select s.version, s.recorded_at, s.view from trace_view_snapshots s
  where s.trace_id = $1 and s.format = $2 and s.version > $3 and s.version <= $4 and s.recorded_at <= $5
    and s.version <= (select version from head)
  order by s.version desc
  limit 1
)
select 0 as kind, (select version from head) as version,
       0::int8 as recorded_at, null::text as type, null::bytea as payload
union all
select 1, snap.version, snap.recorded_at, null, snap.view from snap
union all
(select 2, e.version, e.recorded_at, e.type, e.payload from events e
 where e.trace_id = $1 and e.version > greatest($3, coalesce((select snap.version from snap), 0))
   and e.version <= $4 and e.recorded_at <= $5
 order by e.version)
`;

interface SourceRow {
  kind: number;
  version: number;
  recorded_at: bigint;
  type: string | null;
  payload: Buffer | null;
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
    )) as unknown as SourceRow[];
    let head = 0;
    let snapshot: ViewSnapshot | undefined;
    const events: ViewSources["events"][number][] = [];
    for (const row of rows) {
      if (row.kind === 0) head = row.version;
      else if (row.kind === 1) snapshot = { version: row.version, recordedAt: BigInt(row.recorded_at), view: view(inflateRawSync(row.payload!)) };
      else events.push({ version: row.version, recordedAt: BigInt(row.recorded_at), type: row.type!, payload: view(row.payload!) });
    }
    return { head, snapshot, events };
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
