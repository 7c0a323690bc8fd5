CREATE SEQUENCE "public"."events_position_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "events" (
	"trace_id" "bytea" NOT NULL,
	"version" integer NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"payload" "bytea" NOT NULL,
	"occurred_at" bigint NOT NULL,
	"recorded_at" bigint NOT NULL,
	"tenant" text DEFAULT '' NOT NULL,
	"position" bigint DEFAULT nextval('events_position_seq') NOT NULL,
	"tx_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	CONSTRAINT "events_pkey" PRIMARY KEY("trace_id","version"),
	CONSTRAINT "events_trace_id_length" CHECK (octet_length("events"."trace_id") = 16),
	CONSTRAINT "events_version_positive" CHECK ("events"."version" > 0)
);
--> statement-breakpoint
CREATE TABLE "streams" (
	"trace_id" "bytea" PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"recorded_at" bigint NOT NULL,
	"tenant" text DEFAULT '' NOT NULL,
	CONSTRAINT "streams_trace_id_length" CHECK (octet_length("streams"."trace_id") = 16)
);
--> statement-breakpoint
CREATE TABLE "subscriber_checkpoints" (
	"subscriber_id" text NOT NULL,
	"shard" integer DEFAULT 0 NOT NULL,
	"tx_id" "xid8" NOT NULL,
	"position" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "subscriber_checkpoints_pkey" PRIMARY KEY("subscriber_id","shard")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "events_trace_id_event_id_key" ON "events" USING btree ("trace_id","event_id");--> statement-breakpoint
CREATE INDEX "events_tx_id_position_idx" ON "events" USING btree ("tx_id","position");--> statement-breakpoint
CREATE INDEX "events_position_idx" ON "events" USING btree ("position");