// Leases as rows of `leases` (migration 0003), the in-flight marker in
// `subscriber_in_flight` (0004). Every statement is one autocommit round trip:
// nothing lives in a session, so any pooled connection serves and a holder that
// vanishes leaves nothing behind but a row that expires. Expiry is judged by the
// database's clock (clock_timestamp()), so replicas need not agree on the time.
//
// commitCheckpoint is the one transaction: its renewal updates the lease row
// first, which locks it until the commit, so a claim racing it waits and then
// sees the extended expiry (or the renewal waits for the claim and then finds a
// new token). That row lock is the mutual exclusion an advisory lock would give,
// tied to the row that holds the expiry.

import type { Sql } from "../../database/open-database.js";
import type { GlobalCheckpoint } from "../../event-store/event-store.js";
import { moveCheckpoint, type SqlOrTransaction } from "../../event-store/postgres/move-checkpoint.js";
import { compareCheckpoints, systemClock } from "../../event-store/rules.js";
import type { CheckpointCommit, LeaseClaim, SubscriptionLease } from "../subscription-lease.js";

export class PostgresSubscriptionLease implements SubscriptionLease {
  /** `clock`: Unix nanoseconds, for the checkpoint row's updated_at. */
  constructor(
    private readonly sql: Sql,
    private readonly clock: () => bigint = systemClock,
  ) {}

  async claim(subscriberId: string, shard: number, holder: string, ttlMs: number): Promise<LeaseClaim | undefined> {
    const [row] = await this.sql<{ token: bigint; tx_id: string | null; position: bigint | null }[]>`
      with claimed as (
        insert into leases as l (name, shard, holder, token, expires_at)
        values (${subscriberId}, ${shard}, ${holder}, 1, clock_timestamp() + ${ttlMs}::int8 * interval '1 millisecond')
        on conflict (name, shard) do update
          set holder = excluded.holder, token = l.token + 1, expires_at = excluded.expires_at
          where l.expires_at <= clock_timestamp() or l.holder = excluded.holder
        returning token
      )
      select c.token, f.tx_id::text as tx_id, f.position
        from claimed c
        left join subscriber_in_flight f on f.subscriber_id = ${subscriberId} and f.shard = ${shard}`;
    if (!row) return undefined;
    return {
      subscriberId,
      shard,
      holder,
      token: BigInt(row.token),
      inFlight: row.tx_id === null || row.position === null ? undefined : { transactionId: BigInt(row.tx_id), position: BigInt(row.position) },
    };
  }

  renew(claim: LeaseClaim, ttlMs: number): Promise<boolean> {
    return renewIn(this.sql, claim, ttlMs);
  }

  async markInFlight(claim: LeaseClaim, upTo: GlobalCheckpoint, ttlMs: number): Promise<boolean> {
    // One statement: the marker is written only while the lease is ours, and the
    // lease is renewed by the same proof.
    const rows = await this.sql`
      with renewed as (
        update leases set expires_at = clock_timestamp() + ${ttlMs}::int8 * interval '1 millisecond'
         where name = ${claim.subscriberId} and shard = ${claim.shard}
           and holder = ${claim.holder} and token = ${claim.token.toString()}::int8
           and expires_at > clock_timestamp()
        returning token
      )
      insert into subscriber_in_flight as f (subscriber_id, shard, token, tx_id, position)
      select ${claim.subscriberId}, ${claim.shard}, token, ${upTo.transactionId.toString()}::xid8, ${upTo.position.toString()}::int8
        from renewed
      on conflict (subscriber_id, shard) do update
        set token = excluded.token, tx_id = excluded.tx_id, position = excluded.position
      returning 1`;
    return rows.length === 1;
  }

  async commitCheckpoint(claim: LeaseClaim, expected: GlobalCheckpoint, next: GlobalCheckpoint, ttlMs: number): Promise<CheckpointCommit> {
    return this.sql.begin(async (tx): Promise<CheckpointCommit> => {
      if (!(await renewIn(tx, claim, ttlMs))) return "lease_lost";
      if (compareCheckpoints(expected, next) === 0) return "committed";
      const moved = await moveCheckpoint(tx, claim.subscriberId, claim.shard, expected, next, this.clock());
      return moved ? "committed" : "checkpoint_moved";
    });
  }

  async release(claim: LeaseClaim): Promise<void> {
    await this.sql`
      update leases set expires_at = clock_timestamp()
       where name = ${claim.subscriberId} and shard = ${claim.shard}
         and holder = ${claim.holder} and token = ${claim.token.toString()}::int8`;
  }
}

async function renewIn(db: SqlOrTransaction, claim: LeaseClaim, ttlMs: number): Promise<boolean> {
  const rows = await db`
    update leases set expires_at = clock_timestamp() + ${ttlMs}::int8 * interval '1 millisecond'
     where name = ${claim.subscriberId} and shard = ${claim.shard}
       and holder = ${claim.holder} and token = ${claim.token.toString()}::int8
       and expires_at > clock_timestamp()
    returning 1`;
  return rows.length === 1;
}
