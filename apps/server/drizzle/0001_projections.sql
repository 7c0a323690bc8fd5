CREATE TABLE "span_index" (
	"trace_id" "bytea" NOT NULL,
	"span_id" "bytea" NOT NULL,
	"parent_span_id" "bytea",
	"name" text NOT NULL,
	"service_name" text NOT NULL,
	"start_time" bigint NOT NULL,
	"end_time" bigint DEFAULT 0 NOT NULL,
	"state" smallint NOT NULL,
	"status_code" smallint DEFAULT 0 NOT NULL,
	"has_error" boolean DEFAULT false NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "span_index_pkey" PRIMARY KEY("trace_id","span_id")
);
--> statement-breakpoint
CREATE TABLE "trace_summaries" (
	"trace_id" "bytea" PRIMARY KEY NOT NULL,
	"state" smallint NOT NULL,
	"start_time" bigint NOT NULL,
	"end_time" bigint NOT NULL,
	"root_name" text NOT NULL,
	"root_service_name" text NOT NULL,
	"span_count" integer NOT NULL,
	"error_count" integer NOT NULL,
	"running_span_count" integer NOT NULL,
	"service_names" text[] NOT NULL
);
--> statement-breakpoint
CREATE INDEX "span_index_service_name_idx" ON "span_index" USING btree ("service_name","trace_id");--> statement-breakpoint
CREATE INDEX "span_index_name_idx" ON "span_index" USING btree ("name","trace_id");--> statement-breakpoint
CREATE INDEX "span_index_attributes_idx" ON "span_index" USING gin ("attributes" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "trace_summaries_start_time_idx" ON "trace_summaries" USING btree ("start_time" DESC NULLS LAST,"trace_id" DESC NULLS LAST);