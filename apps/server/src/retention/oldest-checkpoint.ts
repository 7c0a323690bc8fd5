// What bounds a retention pass: the oldest checkpoint among the readers of what
// it deletes. A reader this replica runs (`run`) and that has no checkpoint yet
// has read nothing, and holds everything back; one that only another replica
// runs, or that ran once (`known`), counts when it has a checkpoint.

import type { Sql } from "../database/open-database.js";
import { START_OF_LOG, type GlobalCheckpoint } from "../event-store/event-store.js";
import { compareCheckpoints } from "../event-store/rules.js";

export interface OldestCheckpoint {
  /** Undefined when no reader has a checkpoint and none is run here: nothing bounds the pass. */
  readonly checkpoint: GlobalCheckpoint | undefined;
  /** The reader at that checkpoint. */
  readonly heldBy: string | undefined;
}

export async function oldestCheckpoint(sql: Sql, run: readonly string[], known: readonly string[]): Promise<OldestCheckpoint> {
  const checkpoints = await loadCheckpoints(sql, [...new Set([...run, ...known])]);
  for (const id of run) {
    if (!checkpoints.has(id)) return { checkpoint: START_OF_LOG, heldBy: id };
  }
  let checkpoint: GlobalCheckpoint | undefined;
  let heldBy: string | undefined;
  for (const [id, at] of checkpoints) {
    if (checkpoint === undefined || compareCheckpoints(at, checkpoint) < 0) {
      checkpoint = at;
      heldBy = id;
    }
  }
  return { checkpoint, heldBy };
}

/** The subscribers' checkpoints (shard 0) by id; a subscriber without one is absent. */
async function loadCheckpoints(sql: Sql, subscriberIds: readonly string[]): Promise<Map<string, GlobalCheckpoint>> {
  const rows = await sql<Array<{ subscriber_id: string; tx_id: string; position: string }>>`
    select subscriber_id, tx_id::text as tx_id, position::text as position
    from subscriber_checkpoints where shard = 0 and subscriber_id = any(${subscriberIds as string[]})`;
  return new Map(rows.map((row) => [row.subscriber_id, { transactionId: BigInt(row.tx_id), position: BigInt(row.position) }]));
}
