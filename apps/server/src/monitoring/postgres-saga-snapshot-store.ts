// The saga's snapshot in `saga_snapshots` (migration 0010), one row per subscriber.
// A write is one statement that proves the lease (holder, token, unexpired) as the
// in-flight marker does, so a leader that lost its lease cannot replace its
// successor's snapshot with its own.

import type { Sql } from "../database/open-database.js";
import type { LoadedSnapshot, SagaSnapshot, SagaSnapshotStore } from "./saga-snapshot.js";

interface SnapshotRow {
  format: number;
  config_digest: string;
  tx_id: string;
  position: string;
  alerts_version: number;
  events: string;
  written_at: string;
  state: Buffer | null;
}

export class PostgresSagaSnapshotStore implements SagaSnapshotStore {
  constructor(private readonly sql: Sql) {}

  async load(subscriberId: string, wanted?: Pick<SagaSnapshot, "format" | "configDigest">): Promise<LoadedSnapshot | undefined> {
    const state = wanted
      ? this.sql`case when format = ${wanted.format} and config_digest = ${wanted.configDigest} then state end`
      : this.sql`state`;
    const [row] = await this.sql<SnapshotRow[]>`
      select format, config_digest, tx_id::text as tx_id, position::text as position, alerts_version, events::text as events,
             written_at::text as written_at, ${state} as state
        from saga_snapshots where subscriber_id = ${subscriberId}`;
    if (!row) return undefined;
    return {
      format: row.format,
      configDigest: row.config_digest,
      checkpoint: { transactionId: BigInt(row.tx_id), position: BigInt(row.position) },
      alertsVersion: row.alerts_version,
      events: Number(row.events),
      writtenAt: BigInt(row.written_at),
      image: row.state ?? undefined,
    };
  }

  async save(claim: Parameters<SagaSnapshotStore["save"]>[0], snapshot: SagaSnapshot): Promise<boolean> {
    const rows = await this.sql`
      insert into saga_snapshots as s (subscriber_id, format, config_digest, tx_id, position, alerts_version, events, written_at, state)
      select ${claim.subscriberId}, ${snapshot.format}, ${snapshot.configDigest}, ${snapshot.checkpoint.transactionId.toString()}::xid8,
             ${snapshot.checkpoint.position.toString()}::int8, ${snapshot.alertsVersion}, ${snapshot.events}::int8, ${snapshot.writtenAt.toString()}::int8, ${snapshot.image}
       where exists (
         select 1 from leases
          where name = ${claim.subscriberId} and shard = ${claim.shard}
            and holder = ${claim.holder} and token = ${claim.token.toString()}::int8
            and expires_at > clock_timestamp())
      on conflict (subscriber_id) do update
        set format = excluded.format, config_digest = excluded.config_digest, tx_id = excluded.tx_id,
            position = excluded.position, alerts_version = excluded.alerts_version, events = excluded.events, written_at = excluded.written_at, state = excluded.state
      returning 1`;
    return rows.length === 1;
  }
}
