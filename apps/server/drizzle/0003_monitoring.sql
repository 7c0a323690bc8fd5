CREATE TABLE "leases" (
	"name" text NOT NULL,
	"shard" integer DEFAULT 0 NOT NULL,
	"holder" text NOT NULL,
	"token" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "leases_pkey" PRIMARY KEY("name","shard")
);
--> statement-breakpoint
CREATE TABLE "monitoring_alerts" (
	"alert_id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"service_name" text NOT NULL,
	"state" smallint NOT NULL,
	"raised_version" integer NOT NULL,
	"raised_recorded_at" bigint NOT NULL,
	"raised" "bytea" NOT NULL,
	"resolved" "bytea"
);
--> statement-breakpoint
CREATE INDEX "monitoring_alerts_raised_version_idx" ON "monitoring_alerts" USING btree ("raised_version" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "monitoring_alerts_open_idx" ON "monitoring_alerts" USING btree ("raised_version" DESC NULLS LAST) WHERE "monitoring_alerts"."state" = 1;