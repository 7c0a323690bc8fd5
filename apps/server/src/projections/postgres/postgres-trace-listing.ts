// ListTraces over the projection tables: filters on trace_summaries, span
// filters as EXISTS over span_index, newest first, keyset paging. Newest by the
// start time each trace was first listed with (coalesce(listed_start_time,
// start_time), see projection-schema.ts), which never changes: start_time itself
// moves earlier when a span that started before the others comes later, and
// paging on it would list such a trace again on a later page. A page ends with
// the last row's (listing key, trace_id), which the next page starts after; the
// RPC layer carries it in the page token (rpc/page-tokens.ts).

import { MAX_INT64 } from "../../event-store/rules.js";
import { create } from "@bufbuild/protobuf";
import { StatusCode, TraceState, TraceSummarySchema } from "@traceledger/proto";
import type { Sql } from "../../database/open-database.js";
import { bytesToHex } from "../../domain/trace/w3c-ids.js";
import { listedText } from "../../database/listed-text.js";
import { attributeText } from "../attribute-text.js";
import type { TraceListing, TraceListPage, TraceListQuery } from "../trace-listing.js";

/** The listing's order, as trace_summaries_listing_order_idx has it. */
const LISTED_AT = "coalesce(t.listed_start_time, t.start_time)";

interface Row {
  trace_id: Buffer;
  listed_at: bigint;
  state: number;
  start_time: bigint;
  end_time: bigint;
  root_name: string;
  root_service_name: string;
  span_count: number;
  error_count: number;
  running_span_count: number;
  service_names: string[];
}

export function createPostgresTraceListing(sql: Sql, clock: () => bigint): TraceListing {
  return {
    async listTraces({ filters: request, pageSize, after }: TraceListQuery): Promise<TraceListPage> {
      const now = clock();
      // A null-prototype object: a filter on the key "__proto__" is a key like any other.
      const attributes = Object.create(null) as Record<string, string>;
      // Every given attribute must be on the span: a key given twice with two values matches no span.
      let conflicting = false;
      for (const kv of request.attributes) {
        const key = listedText(kv.key);
        const value = listedText(attributeText(kv.value));
        if (key in attributes && attributes[key] !== value) conflicting = true;
        attributes[key] = value;
      }
      const hasAttributes = request.attributes.length > 0;
      const min = request.startTimeMinUnixNano > 0n ? int8(request.startTimeMinUnixNano) : undefined;
      const max = request.startTimeMaxUnixNano > 0n ? int8(request.startTimeMaxUnixNano) : undefined;
      // The span of time the trace covers so far, as GetTrace has it (trace-view.ts,
      // traceWithoutSpans): up to now while the trace is open and a span runs, else to
      // the latest end (an open trace with nothing running does not grow with the clock).
      const duration = sql`(case when t.state = 1 and t.running_span_count > 0 then greatest(t.end_time, ${now.toString()}::int8) else t.end_time end - t.start_time)`;
      // A span filter's selectivity is only known from its value: PostgreSQL's generic
      // plan for the prepared statement guesses and walks trace_summaries newest first,
      // probing span_index per trace (60 ms for a filter matching 1% of 100,000 traces,
      // measured), where a plan made for the value reads the GIN or name index (5-12 ms).
      // The extra round trips (~0.3 ms) are paid only by span-filtered calls.
      const filters = sql`
           ${conflicting ? sql`and false` : sql``}
           ${after ? sql`and (${sql.unsafe(LISTED_AT)}, t.trace_id) < (${after.listedAt.toString()}::int8, ${Buffer.from(after.traceId, "hex")})` : sql``}
           ${min !== undefined ? sql`and t.start_time >= ${min}::int8` : sql``}
           ${max !== undefined ? sql`and t.start_time < ${max}::int8` : sql``}
           ${request.state !== TraceState.UNSPECIFIED ? sql`and t.state = ${request.state}` : sql``}
           ${request.status === StatusCode.ERROR ? sql`and t.error_count > 0` : request.status === StatusCode.OK ? sql`and t.error_count = 0` : sql``}
           ${request.minDurationNano > 0n ? sql`and ${duration} >= ${int8(request.minDurationNano)}::int8` : sql``}
           ${request.maxDurationNano > 0n ? sql`and ${duration} <= ${int8(request.maxDurationNano)}::int8` : sql``}
           ${request.serviceName ? sql`and ${listedText(request.serviceName)} = any(t.service_names)` : sql``}
           ${request.spanName ? sql`and exists (select 1 from span_index s where s.trace_id = t.trace_id and s.name = ${listedText(request.spanName)})` : sql``}
           ${hasAttributes ? sql`and exists (select 1 from span_index s where s.trace_id = t.trace_id and s.attributes @> ${sql.json(attributes)}::jsonb)` : sql``}`;
      // The rows of the filters within the listing key's bounds, newest first.
      const rowsWithin = (bounds: typeof filters) => sql`
        select t.trace_id, ${sql.unsafe(LISTED_AT)} as listed_at, t.state, t.start_time, t.end_time, t.root_name, t.root_service_name,
               t.span_count, t.error_count, t.running_span_count, t.service_names
          from trace_summaries t
         where true ${bounds} ${filters}
         -- nulls last to match the index (the key is never null, but the planner
         -- only uses an index whose null order matches the ORDER BY).
         order by ${sql.unsafe(LISTED_AT)} desc nulls last, t.trace_id desc nulls last
         limit ${pageSize + 1}`;
      // The time filters look at start_time; the rows are read in the listing key's
      // order, and bounded by it: the key is never before start_time (start_time only
      // moves earlier), so a trace that started at or after the minimum has its key
      // there too; and a trace that started before the maximum has its key there too
      // unless its start moved (listed_start_time set), which few do: those are read
      // apart (their own small index), so neither read walks the traces out of range.
      const keyFromMin = min !== undefined ? sql`and ${sql.unsafe(LISTED_AT)} >= ${min}::int8` : sql``;
      const pageQuery = (db: Sql) =>
        max === undefined
          ? db<Row[]>`${rowsWithin(keyFromMin)}`
          : db<Row[]>`
              select * from (
                (${rowsWithin(sql`and ${sql.unsafe(LISTED_AT)} < ${max}::int8 ${keyFromMin}`)})
                union all
                (${rowsWithin(sql`and t.listed_start_time is not null and ${sql.unsafe(LISTED_AT)} >= ${max}::int8`)})
              ) u
              order by u.listed_at desc, u.trace_id desc
              limit ${pageSize + 1}`;
      const spanFiltered = hasAttributes || request.spanName !== "";
      const rows = spanFiltered
        ? await sql.begin(async (tx) => {
            await tx`set local plan_cache_mode = force_custom_plan`;
            return pageQuery(tx as unknown as Sql);
          })
        : await pageQuery(sql);
      const page = rows.slice(0, pageSize);
      const last = page[page.length - 1];
      return {
        traces: page.map((r) =>
          create(TraceSummarySchema, {
            traceId: new Uint8Array(r.trace_id),
            state: r.state,
            startTimeUnixNano: r.start_time,
            durationNano: durationOf(r, now),
            rootName: r.root_name,
            rootServiceName: r.root_service_name,
            spanCount: r.span_count,
            errorCount: r.error_count,
            runningSpanCount: r.running_span_count,
            serviceNames: r.service_names,
          }),
        ),
        next: rows.length > pageSize && last ? { listedAt: last.listed_at, traceId: bytesToHex(last.trace_id) } : undefined,
      };
    },
  };
}

/** A uint64 filter (times and durations) as an int8 literal: past the int8 range it means the same as the largest int8. */
function int8(value: bigint): string {
  return (value > MAX_INT64 ? MAX_INT64 : value).toString();
}

/** As the SQL `duration` above, and GetTrace. */
function durationOf(r: Row, now: bigint): bigint {
  const end = r.state === TraceState.OPEN && r.running_span_count > 0 && now > r.end_time ? now : r.end_time;
  return end > r.start_time ? end - r.start_time : 0n;
}
