CREATE TABLE "saga_snapshots" (
	"subscriber_id" text PRIMARY KEY NOT NULL,
	"format" smallint NOT NULL,
	"config_digest" text NOT NULL,
	"tx_id" "xid8" NOT NULL,
	"position" bigint NOT NULL,
	"events" bigint NOT NULL,
	"written_at" bigint NOT NULL,
	"state" "bytea" NOT NULL
);
--> statement-breakpoint
-- Hand-written (drizzle-kit cannot express storage parameters): the state is stored
-- deflate-compressed by the server, so PostgreSQL need not try compressing it again.
ALTER TABLE "saga_snapshots" ALTER COLUMN "state" SET STORAGE EXTERNAL;
