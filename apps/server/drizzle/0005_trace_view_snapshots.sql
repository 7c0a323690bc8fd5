CREATE TABLE "trace_view_snapshots" (
	"trace_id" "bytea" NOT NULL,
	"version" integer NOT NULL,
	"format" smallint NOT NULL,
	"recorded_at" bigint NOT NULL,
	"view" "bytea" NOT NULL,
	CONSTRAINT "trace_view_snapshots_pkey" PRIMARY KEY("trace_id","version"),
	CONSTRAINT "trace_view_snapshots_trace_id_length" CHECK (octet_length("trace_view_snapshots"."trace_id") = 16)
);
--> statement-breakpoint
-- Hand-written (drizzle-kit cannot express storage parameters): views are stored
-- deflate-compressed by the server (about 11x smaller, and 12x fewer bytes on the
-- wire, which is what reads pay for), so PostgreSQL need not try compressing them again.
ALTER TABLE "trace_view_snapshots" ALTER COLUMN "view" SET STORAGE EXTERNAL;
