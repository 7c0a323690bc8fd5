// Seeds the ListTraces projection tables (span_index, trace_summaries) directly
// with bulk SQL, for list-traces.ts: `traces` traces of 10 spans over the last
// 24 hours. The rows have the shape the projector writes (see
// projections/postgres/trace-listing-projector.ts); trace_summaries is computed
// from span_index with the projector's own aggregate, so the two agree.
//
// Loading: the tables' secondary indexes and keys are dropped, the rows inserted,
// then the keys and indexes re-created from their definitions as read from the
// catalog (so a changed migration is followed), then ANALYZE.
//
// Distribution (chosen so each filter has a common and a rare case):
//   root span: one of 10 endpoints, service one of 5 front doors;
//   children (9): 40 span names and 25 backend services, skewed (the first of
//     each list in ~80% of traces);
//   'legacy-billing' service in 0.2% of traces, 'reconcile-ledger' span in 0.1%,
//   attribute feature.flag=beta-checkout in 0.1%; tenant.id one of 1,000 per span
//   (a given tenant in ~1% of traces); customer.tier gold/silver/bronze;
//   errors on 1% of spans (~10% of traces); trace durations 10-200 ms (90%),
//   0.2-1 s (9%), 1-5 s (1%); 0.5% of traces still open (3 spans running).

import type postgres from "postgres";
import type { Sql } from "../../../apps/server/src/database/open-database.js";

export const SPANS_PER_TRACE = 10;
export const HOUR_NS = 3_600_000_000_000n;

export const ROOT_SERVICES = ["web", "mobile-bff", "api-gateway", "partner-api", "admin"];
export const BACKENDS = [
  "orders", "inventory", "payments", "cart", "users", "search", "pricing", "shipping", "notifications", "recommendations",
  "catalog", "reviews", "auth", "fraud", "ledger", "tax", "coupons", "media", "geo", "analytics",
  "audit", "mailer", "sms", "export", "reporting",
];
export const ROOT_NAMES = [
  "GET /api/orders/{id}", "POST /api/checkout", "GET /api/cart", "GET /api/products", "GET /api/products/{id}",
  "POST /api/login", "GET /api/search", "POST /api/payments", "GET /api/recommendations", "PUT /api/cart/items",
];
export const SPAN_NAMES = [
  "SELECT orders", "SELECT products", "redis GET", "HTTP GET", "HTTP POST", "INSERT orders", "UPDATE inventory", "kafka publish",
  "SELECT users", "SELECT prices", "grpc Inventory/Reserve", "grpc Payments/Authorize", "grpc Pricing/Quote", "redis SET", "s3 GetObject", "SELECT cart_items",
  "render template", "validate input", "compute tax", "apply coupons", "check fraud", "geo lookup", "send email", "enqueue job",
  "SELECT shipments", "UPDATE orders", "DELETE cart_items", "elasticsearch query", "SELECT reviews", "HTTP GET /v1/rates",
  "SELECT coupons", "SELECT tenants", "redis MGET", "kafka consume", "SELECT audit_log", "INSERT audit_log", "serialize response", "auth verify token",
  "SELECT sessions", "UPDATE sessions",
];
export const RARE = { service: "legacy-billing", spanName: "reconcile-ledger", attribute: { key: "feature.flag", value: "beta-checkout" } };

export interface SeedInfo {
  readonly traces: number;
  readonly spans: number;
  /** Unix ns: the oldest and newest trace start. */
  readonly from: bigint;
  readonly to: bigint;
  readonly seconds: { insert: number; summaries: number; indexes: number; analyze: number };
  readonly sizes: { spanIndex: string; traceSummaries: string };
}

const lit = (values: readonly string[]) => `array[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",")}]`;

export async function seedListing(sql: Sql, traces: number): Promise<SeedInfo> {
  const to = BigInt(Date.now() - 60_000) * 1_000_000n;
  const from = to - 24n * HOUR_NS;
  const spacing = (24n * HOUR_NS) / BigInt(traces);
  const reserved = await sql.reserve();
  const seconds = { insert: 0, summaries: 0, indexes: 0, analyze: 0 };
  const timed = async (key: keyof typeof seconds, run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    seconds[key] += (performance.now() - t) / 1000;
  };
  try {
    await reserved.unsafe(`set synchronous_commit = off; set maintenance_work_mem = '256MB'; set work_mem = '64MB'`);
    const tables = ["span_index", "trace_summaries"];
    const constraints = (await reserved.unsafe(`
      select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as def
        from pg_constraint where conrelid::regclass::text = any(${lit(tables)}) and contype in ('p', 'u')`)) as unknown as Array<{ table: string; name: string; def: string }>;
    const indexes = (await reserved.unsafe(`
      select indexname as name, indexdef as def from pg_indexes
       where schemaname = current_schema() and tablename = any(${lit(tables)})
         and indexname <> all(${lit(constraints.map((c) => c.name))}::text[])`)) as unknown as Array<{ name: string; def: string }>;
    await reserved.unsafe(`truncate span_index, trace_summaries`);
    for (const i of indexes) await reserved.unsafe(`drop index ${i.name}`);
    for (const c of constraints) await reserved.unsafe(`alter table ${c.table} drop constraint ${c.name}`);

    // Two halves on two connections: the insert is CPU-bound in PostgreSQL.
    const half = Math.ceil(traces / 2);
    const second = await sql.reserve();
    try {
      await second.unsafe(`set synchronous_commit = off; set work_mem = '64MB'`);
      await timed("insert", () =>
        Promise.all([insertSpans(reserved, 1, half, traces, from, spacing), insertSpans(second, half + 1, traces, traces, from, spacing)]),
      );
    } finally {
      second.release();
    }
    await timed("summaries", () =>
      reserved.unsafe(`
        insert into trace_summaries (trace_id, state, start_time, end_time, root_name, root_service_name, span_count, error_count, running_span_count, service_names)
        select s.trace_id, case when count(*) filter (where s.state = 1) > 0 then 1 else 2 end, min(s.start_time), max(s.end_time),
               (array_agg(s.name order by s.parent_span_id is not null, s.start_time))[1],
               (array_agg(s.service_name order by s.parent_span_id is not null, s.start_time))[1],
               count(*), count(*) filter (where s.has_error), count(*) filter (where s.state = 1),
               array_agg(distinct s.service_name order by s.service_name)
          from span_index s
         group by s.trace_id`),
    );
    await timed("indexes", async () => {
      for (const c of constraints) await reserved.unsafe(`alter table ${c.table} add constraint ${c.name} ${c.def}`);
      for (const i of indexes) await reserved.unsafe(i.def);
    });
    await timed("analyze", async () => {
      // One statement per call: VACUUM refuses to run in the implicit transaction of a multi-statement query.
      for (const statement of ["vacuum analyze span_index", "vacuum analyze trace_summaries", "checkpoint"]) await reserved.unsafe(statement);
    });
    const [size] = await reserved<{ span_index: string; trace_summaries: string }[]>`
      select pg_size_pretty(pg_total_relation_size('span_index')) as span_index, pg_size_pretty(pg_total_relation_size('trace_summaries')) as trace_summaries`;
    return { traces, spans: traces * SPANS_PER_TRACE, from, to: from + spacing * BigInt(traces - 1), seconds, sizes: { spanIndex: size!.span_index, traceSummaries: size!.trace_summaries } };
  } finally {
    reserved.release();
  }
}

function insertSpans(sql: postgres.ReservedSql, first: number, last: number, traces: number, from: bigint, spacing: bigint): Promise<unknown> {
  return sql.unsafe(`
    with t as (
      select g, decode(md5('trace:' || g), 'hex') as tid,
             ${from}::int8 + (g - 1)::int8 * ${spacing}::int8 as st,
             case when r < 0.90 then 10 + r2 * 190 when r < 0.99 then 200 + r2 * 800 else 1000 + r2 * 4000 end as dur_ms,
             g % 200 = 17 as open
        from (select g, random() as r, random() as r2 from generate_series(${first}, ${last}) g) x
    ),
    s as (
      select t.*, sp.s, sp.a, sp.b, sp.c, sp.d, sp.e, sp.f, sp.h,
             t.open and sp.s in (0, 8, 9) as running,
             case when sp.s = 0 then t.st else t.st + floor(sp.c * t.dur_ms * 0.6 * 1e6)::int8 end as span_start
        from t cross join lateral (
          select s, random() as a, random() as b, random() as c, random() as d, random() as e, random() as f, random() as h
            from generate_series(0, ${SPANS_PER_TRACE - 1}) s
           where t.g > 0
        ) sp
    )
    insert into span_index (trace_id, span_id, parent_span_id, name, service_name, start_time, end_time, state, status_code, has_error, attributes)
    select tid,
           substr(decode(md5(g || ':' || s), 'hex'), 1, 8),
           case when s = 0 then null else substr(decode(md5(g || ':0'), 'hex'), 1, 8) end,
           case when s = 0 then (${lit(ROOT_NAMES)})[1 + g % 10]
                when s = 9 and g % 1000 = 7 then '${RARE.spanName}'
                else (${lit(SPAN_NAMES)})[1 + floor(${SPAN_NAMES.length} * a * a)::int] end,
           case when s = 0 then (${lit(ROOT_SERVICES)})[1 + g % 5]
                when s = 9 and g % 500 = 3 then '${RARE.service}'
                else (${lit(BACKENDS)})[1 + floor(${BACKENDS.length} * b * b)::int] end,
           span_start,
           case when running then 0
                when s = 0 then st + floor(dur_ms * 1e6)::int8
                else span_start + floor(d * dur_ms * 0.4 * 1e6)::int8 end,
           case when running then 1 else 2 end,
           case when running then 0 when e < 0.01 then 2 else 1 end,
           e < 0.01,
           jsonb_build_object(
             'http.request.method', case when f < 0.7 then 'GET' else 'POST' end,
             'tenant.id', 't-' || floor(h * 1000)::int,
             'customer.tier', (array['gold', 'silver', 'bronze'])[1 + floor(3 * f * f)::int],
             'deployment.environment.name', 'production')
             || case when s = 5 and g % 1000 = 3 then '{"${RARE.attribute.key}": "${RARE.attribute.value}"}'::jsonb else '{}'::jsonb end
             || case when s = 0 then jsonb_build_object('http.response.status_code', case when e < 0.01 then '500' else '200' end) else '{}'::jsonb end
      from s`);
}
