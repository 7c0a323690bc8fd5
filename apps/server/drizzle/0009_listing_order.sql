-- ListTraces orders and pages on coalesce(listed_start_time, start_time): the start a trace was
-- first listed with, which never changes (start_time moves earlier when a span that started before
-- the others comes later, and paging on it listed such a trace twice). listed_start_time stays null
-- until a trace's start moves, so the rows already there need no update: their key is start_time.
-- The order index also bounds the time filters; the partial index holds the few traces whose start
-- moved, which a start_time_max filter reads apart. start_time_idx stays for replicas of the previous
-- release during a rolling upgrade (their ListTraces orders by start_time): a later release drops it.
-- The indexes are built inside the start-up migration's transaction: on a large trace_summaries the
-- table is locked for writes while they build.
ALTER TABLE "trace_summaries" ADD COLUMN "listed_start_time" bigint;--> statement-breakpoint
CREATE INDEX "trace_summaries_listing_order_idx" ON "trace_summaries" USING btree (coalesce("listed_start_time", "start_time") desc nulls last,"trace_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "trace_summaries_start_moved_idx" ON "trace_summaries" USING btree (coalesce("listed_start_time", "start_time") desc nulls last,"trace_id" DESC NULLS LAST) WHERE "trace_summaries"."listed_start_time" is not null;