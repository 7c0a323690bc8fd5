CREATE TABLE "subscriber_in_flight" (
	"subscriber_id" text NOT NULL,
	"shard" integer DEFAULT 0 NOT NULL,
	"token" bigint NOT NULL,
	"tx_id" "xid8" NOT NULL,
	"position" bigint NOT NULL,
	CONSTRAINT "subscriber_in_flight_pkey" PRIMARY KEY("subscriber_id","shard")
);
