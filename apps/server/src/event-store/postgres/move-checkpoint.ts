// The compare-and-set of a subscriber's checkpoint row, in one statement. The
// event store's saveCheckpoint runs it on its own; projectors and the lease's
// fenced commit run it inside their transaction, so the checkpoint moves
// together with what the transaction wrote (or with the lease's renewal).

import type postgres from "postgres";
import type { Sql } from "../../database/open-database.js";
import { START_OF_LOG, type GlobalCheckpoint } from "../event-store.js";
import { compareCheckpoints } from "../rules.js";

/** The pool, or a transaction of it. */
export type SqlOrTransaction = Sql | postgres.TransactionSql<{ bigint: bigint }>;

/**
 * Moves the checkpoint of (`subscriberId`, `shard`) from `expected` to `next`;
 * false when the stored checkpoint is not `expected` (another instance moved
 * it). `now` (Unix nanoseconds) goes to updated_at.
 */
export async function moveCheckpoint(
  db: SqlOrTransaction,
  subscriberId: string,
  shard: number,
  expected: GlobalCheckpoint,
  next: GlobalCheckpoint,
  now: bigint,
): Promise<boolean> {
  const nextTx = next.transactionId.toString();
  const nextPosition = next.position.toString();
  const expectedTx = expected.transactionId.toString();
  const expectedPosition = expected.position.toString();
  // No row stands for START_OF_LOG, so only an expectation of the start may insert.
  const rows =
    compareCheckpoints(expected, START_OF_LOG) === 0
      ? await db`
          insert into subscriber_checkpoints as c (subscriber_id, shard, tx_id, position, updated_at)
          values (${subscriberId}, ${shard}, ${nextTx}::xid8, ${nextPosition}::int8, ${now.toString()}::int8)
          on conflict (subscriber_id, shard) do update
            set tx_id = excluded.tx_id, position = excluded.position, updated_at = excluded.updated_at
            where c.tx_id = ${expectedTx}::xid8 and c.position = ${expectedPosition}::int8
          returning 1`
      : await db`
          update subscriber_checkpoints
            set tx_id = ${nextTx}::xid8, position = ${nextPosition}::int8, updated_at = ${now.toString()}::int8
          where subscriber_id = ${subscriberId} and shard = ${shard}
            and tx_id = ${expectedTx}::xid8 and position = ${expectedPosition}::int8
          returning 1`;
  return rows.length === 1;
}
