// The shared poll's question to PostgreSQL (see trace-change-feed.ts): the
// current version of each followed trace, in one statement. Each trace costs
// one probe of the events primary key (trace_id, version), backwards from its
// end, as a single GetTraceEvents read past the end would; only rows with
// events come back.

import type { Sql } from "../database/open-database.js";
import type { StreamHeads } from "./trace-change-feed.js";

export function postgresStreamHeads(sql: Sql): StreamHeads {
  return async (traceIds) => {
    const rows = await sql<{ trace_id: string; version: number }[]>`
      select t.trace_id, h.version
      from unnest(${sql.array([...traceIds])}::text[]) as t(trace_id)
      cross join lateral (select max(e.version) as version from events e where e.trace_id = decode(t.trace_id, 'hex')) as h
      where h.version is not null`;
    return new Map(rows.map((row) => [row.trace_id, row.version]));
  };
}
