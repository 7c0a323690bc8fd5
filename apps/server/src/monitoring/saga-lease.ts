// Who runs the saga. Every replica follows the log; only the holder of the
// lease acts on it (appends alerts, sends commands, moves the checkpoint).
// The lease expires unless renewed, so a replica that dies at any moment,
// even mid-write, is replaced within one lease duration.

import type { GlobalCheckpoint } from "../event-store/event-store.js";

export type CheckpointCommit =
  | "committed"
  /** The lease expired or another replica took it: stop acting. */
  | "lease_lost"
  /** The stored checkpoint was not the expected one: another holder moved it. */
  | "checkpoint_moved";

export interface SagaLease {
  /** Identifies this replica in the lease row and in logs. */
  readonly holder: string;
  /** Takes the lease if it is free, expired or already ours; true when ours now. */
  tryAcquire(): Promise<boolean>;
  /** Extends our lease; false when it is no longer ours. */
  renew(): Promise<boolean>;
  /** Gives the lease up at once, so another replica need not wait for it to expire. */
  release(): Promise<void>;
  /**
   * Moves the saga's checkpoint from `from` to `to` in one transaction with a
   * renewal, and only if the lease is still ours: a holder that lost its lease
   * (paused, partitioned) can never move the checkpoint after the new holder.
   */
  commitCheckpoint(from: GlobalCheckpoint, to: GlobalCheckpoint): Promise<CheckpointCommit>;
}
