// The saga's lease as a row of `leases`, with the database's clock as the only
// clock (replicas' clocks never have to agree). No session state: every step
// is one short statement or transaction on any pooled connection, so nothing
// is lost when a connection is recycled and nothing lingers when a replica dies.
//
// The renewal inside commitCheckpoint updates the lease row first, which locks
// it until the transaction ends: a replica trying to take over waits for the
// commit and then sees the extended expiry. That row lock is the mutual
// exclusion an advisory lock would give, tied to the row that holds the expiry.

import type postgres from "postgres";
import type { Sql } from "../database/open-database.js";
import { START_OF_LOG, type GlobalCheckpoint } from "../event-store/event-store.js";
import { compareCheckpoints } from "../event-store/rules.js";
import type { CheckpointCommit, SagaLease } from "./saga-lease.js";

type Tx = postgres.TransactionSql<{ bigint: bigint }>;

export interface PostgresSagaLeaseOptions {
  readonly sql: Sql;
  /** The lease row's name, and the checkpoint's subscriber id. */
  readonly name: string;
  readonly holder: string;
  readonly durationMs: number;
  /** Unix nanoseconds, for the checkpoint row's updated_at. */
  readonly clock: () => bigint;
  readonly shard?: number;
}

export class PostgresSagaLease implements SagaLease {
  readonly holder: string;
  /** The fencing token of our current term; undefined while we hold nothing. */
  private token: bigint | undefined;

  constructor(private readonly options: PostgresSagaLeaseOptions) {
    this.holder = options.holder;
  }

  async tryAcquire(): Promise<boolean> {
    const { sql, name, durationMs } = this.options;
    const shard = this.options.shard ?? 0;
    // A new term (new token) unless we still hold an unexpired lease.
    const rows = await sql<{ token: bigint }[]>`
      insert into leases as l (name, shard, holder, token, expires_at)
      values (${name}, ${shard}, ${this.holder}, 1, clock_timestamp() + ${durationMs} * interval '1 millisecond')
      on conflict (name, shard) do update
        set holder = excluded.holder,
            token = case when l.holder = excluded.holder and l.expires_at > clock_timestamp() then l.token else l.token + 1 end,
            expires_at = excluded.expires_at
        where l.expires_at <= clock_timestamp() or l.holder = excluded.holder
      returning token`;
    this.token = rows[0]?.token;
    return this.token !== undefined;
  }

  async renew(): Promise<boolean> {
    if (this.token === undefined) return false;
    const renewed = await renewIn(this.options.sql, this.options, this.holder, this.token);
    if (!renewed) this.token = undefined;
    return renewed;
  }

  async release(): Promise<void> {
    if (this.token === undefined) return;
    const { sql, name } = this.options;
    const token = this.token;
    this.token = undefined;
    await sql`
      update leases set expires_at = clock_timestamp()
       where name = ${name} and shard = ${this.options.shard ?? 0} and holder = ${this.holder} and token = ${token}`;
  }

  async commitCheckpoint(from: GlobalCheckpoint, to: GlobalCheckpoint): Promise<CheckpointCommit> {
    const token = this.token;
    if (token === undefined) return "lease_lost";
    const outcome = await this.options.sql.begin(async (tx): Promise<CheckpointCommit> => {
      if (!(await renewIn(tx, this.options, this.holder, token))) return "lease_lost";
      if (compareCheckpoints(from, to) === 0) return "committed";
      return (await moveCheckpoint(tx, this.options, from, to)) ? "committed" : "checkpoint_moved";
    });
    if (outcome === "lease_lost") this.token = undefined;
    return outcome;
  }
}

async function renewIn(db: Sql | Tx, options: PostgresSagaLeaseOptions, holder: string, token: bigint): Promise<boolean> {
  const rows = await db`
    update leases set expires_at = clock_timestamp() + ${options.durationMs} * interval '1 millisecond'
     where name = ${options.name} and shard = ${options.shard ?? 0} and holder = ${holder} and token = ${token}
       and expires_at > clock_timestamp()
    returning 1`;
  return rows.length === 1;
}

/** Compare-and-set of the subscriber checkpoint; no row stands for START_OF_LOG. */
async function moveCheckpoint(tx: Tx, options: PostgresSagaLeaseOptions, from: GlobalCheckpoint, to: GlobalCheckpoint): Promise<boolean> {
  const shard = options.shard ?? 0;
  const now = options.clock().toString();
  if (compareCheckpoints(from, START_OF_LOG) === 0) {
    const created = await tx`
      insert into subscriber_checkpoints (subscriber_id, shard, tx_id, position, updated_at)
      values (${options.name}, ${shard}, ${to.transactionId.toString()}::xid8, ${to.position.toString()}::int8, ${now}::int8)
      on conflict do nothing`;
    return created.count === 1;
  }
  const moved = await tx`
    update subscriber_checkpoints
       set tx_id = ${to.transactionId.toString()}::xid8, position = ${to.position.toString()}::int8, updated_at = ${now}::int8
     where subscriber_id = ${options.name} and shard = ${shard}
       and tx_id = ${from.transactionId.toString()}::xid8 and position = ${from.position.toString()}::int8`;
  return moved.count === 1;
}
