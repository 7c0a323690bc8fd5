CREATE TABLE "trace_view_snapshots" (
	"trace_id" "bytea" NOT NULL,
	"version" integer NOT NULL,
	"format" smallint NOT NULL,
	"recorded_at" bigint NOT NULL,
	"view" "bytea" NOT NULL,
	CONSTRAINT "trace_view_snapshots_pkey" PRIMARY KEY("trace_id","version"),
	CONSTRAINT "trace_view_snapshots_trace_id_length" CHECK (octet_length("trace_view_snapshots"."trace_id") = 16)
);
