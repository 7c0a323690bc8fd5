// What bounds a retention pass: the oldest checkpoint among the readers of what
// it deletes. A reader this replica runs (`run`) and that has no checkpoint yet
// has read nothing, and holds everything back; one that only another replica
// runs, or that ran once (`known`), counts when it has a checkpoint.

import type { Sql } from "../database/open-database.js";
import { START_OF_LOG, type GlobalCheckpoint } from "../event-store/event-store.js";
import { compareCheckpoints } from "../event-store/rules.js";
import { loadCheckpoints } from "./postgres/expire-traces.js";

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
