// The read-model tables behind ListTraces, fed from the event log by the trace
// listing projector and rebuildable from it (they hold nothing the log lacks).
// trace_id leads every key, as in the event store, so both shard by trace.
//
// This file imports nothing but drizzle-orm: drizzle-kit loads it on its own.

import { sql } from "drizzle-orm";
import { bigint, boolean, customType, index, integer, jsonb, pgTable, primaryKey, smallint, text } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/** One row per span: what the ListTraces filters look at. */
export const spanIndex = pgTable(
  "span_index",
  {
    traceId: bytea("trace_id").notNull(),
    spanId: bytea("span_id").notNull(),
    /** Null for a root span. */
    parentSpanId: bytea("parent_span_id"),
    name: text("name").notNull(),
    serviceName: text("service_name").notNull(),
    startTime: bigint("start_time", { mode: "bigint" }).notNull(),
    /** Zero while running. */
    endTime: bigint("end_time", { mode: "bigint" }).notNull().default(sql`0`),
    /** 1 running, 2 ended, 3 orphaned (traceledger.v1.SpanState). */
    state: smallint("state").notNull(),
    /**
     * traceledger.v1.StatusCode, or any int32 an OTLP span came with (OTLP lets
     * receivers keep codes they do not know): an integer, not a smallint (migration 0012).
     */
    statusCode: integer("status_code").notNull().default(0),
    hasError: boolean("has_error").notNull().default(false),
    /** Attribute key -> value as text, for containment filters. */
    attributes: jsonb("attributes").notNull().default(sql`'{}'::jsonb`),
  },
  // No index on service_name: ListTraces filters services on trace_summaries.service_names,
  // and an index nobody reads cost the projector a btree entry per row version (migration 0007).
  (t) => [
    primaryKey({ name: "span_index_pkey", columns: [t.traceId, t.spanId] }),
    index("span_index_name_idx").on(t.name, t.traceId),
    index("span_index_attributes_idx").using("gin", sql`${t.attributes} jsonb_path_ops`),
  ],
);

/** One row per trace: the ListTraces result rows, newest first (by the start time each was first listed with). */
export const traceSummaries = pgTable(
  "trace_summaries",
  {
    traceId: bytea("trace_id").primaryKey(),
    /** 1 open, 2 completed (traceledger.v1.TraceState). */
    state: smallint("state").notNull(),
    /** The earliest start of any span: shown, and what the time filters look at. */
    startTime: bigint("start_time", { mode: "bigint" }).notNull(),
    /**
     * The start_time the trace was first listed with, once an earlier span has moved
     * start_time before it; null while start_time is still that (nearly every trace).
     * ListTraces orders and pages on coalesce(listed_start_time, start_time), which
     * never changes once the trace is listed: a trace cannot move between pages.
     */
    listedStartTime: bigint("listed_start_time", { mode: "bigint" }),
    /** The latest end of an ended span; zero if none ended. */
    endTime: bigint("end_time", { mode: "bigint" }).notNull(),
    rootName: text("root_name").notNull(),
    rootServiceName: text("root_service_name").notNull(),
    spanCount: integer("span_count").notNull(),
    errorCount: integer("error_count").notNull(),
    runningSpanCount: integer("running_span_count").notNull(),
    serviceNames: text("service_names").array().notNull(),
  },
  (t) => [
    // The order of the previous release's ListTraces, kept while replicas of it may still run
    // against this database (a rolling upgrade); nothing here reads it. Drop it in a later release.
    index("trace_summaries_start_time_idx").on(t.startTime.desc(), t.traceId.desc()),
    // The listing's order (newest first, keyset paging), and the time filters' ranges.
    index("trace_summaries_listing_order_idx").on(sql`coalesce(${t.listedStartTime}, ${t.startTime}) desc nulls last`, t.traceId.desc()),
    // The few traces whose start moved: those a start_time_max filter reads apart.
    index("trace_summaries_start_moved_idx")
      .on(sql`coalesce(${t.listedStartTime}, ${t.startTime}) desc nulls last`, t.traceId.desc())
      .where(sql`${t.listedStartTime} is not null`),
  ],
);
