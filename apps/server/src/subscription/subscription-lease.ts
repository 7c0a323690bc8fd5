// The seam between a leased subscriber and where its lease lives. A lease makes
// one holder at a time, across replicas, the one that handles a subscriber's
// events; a holder that dies simply stops renewing and another takes over.
//
// Every background worker uses it: LeasedSubscription (the OTLP exporter) and the
// saga runner, which is not a LeasedSubscription (every replica folds the log,
// only the holder acts) and so moves its checkpoint through commitCheckpoint.
//
// A lease that has lapsed is lost, even if nobody has claimed it yet: its holder
// cannot renew it, only claim it again (a new term). So expiring the row by hand
// moves the work (the operations runbook), and the holder's view (a heartbeat
// that gives up before the expiry) and the database's agree.

import type { GlobalCheckpoint } from "../event-store/event-store.js";

export interface LeaseClaim {
  readonly subscriberId: string;
  readonly shard: number;
  readonly holder: string;
  /** Grows with every new holder: a fencing token telling one tenure from the next. */
  readonly token: bigint;
  /**
   * The log place up to which an earlier tenure was handling events when it
   * last reported, if any. Events beyond the saved checkpoint and up to here
   * may already have had their effects.
   */
  readonly inFlight: GlobalCheckpoint | undefined;
}

export interface SubscriptionLease {
  /** Takes the lease if it is free or expired (or already this holder's); undefined when another holds it. */
  claim(subscriberId: string, shard: number, holder: string, ttlMs: number): Promise<LeaseClaim | undefined>;
  /** Extends the lease by `ttlMs` from now; false when the claim is no longer the holder or the lease lapsed. */
  renew(claim: LeaseClaim, ttlMs: number): Promise<boolean>;
  /**
   * Records that events up to `upTo` are about to be handled, and renews the
   * lease, in one step; false (and nothing recorded) when the claim is no longer
   * the holder. Called before every handled slice, so a stale holder learns it
   * lost the lease before it acts.
   */
  markInFlight(claim: LeaseClaim, upTo: GlobalCheckpoint, ttlMs: number): Promise<boolean>;
  /**
   * Moves the subscriber's checkpoint from `expected` to `next` (compare-and-set)
   * in one transaction that first renews the lease, and only while the claim
   * holds it: a holder that lost its lease (paused, partitioned) can never move
   * the checkpoint, and the renewal's row lock orders the move with a takeover.
   * With `expected` equal to `next` it only renews.
   */
  commitCheckpoint(claim: LeaseClaim, expected: GlobalCheckpoint, next: GlobalCheckpoint, ttlMs: number): Promise<CheckpointCommit>;
  /** Lets the lease go at once, so that another replica need not wait for it to expire. */
  release(claim: LeaseClaim): Promise<void>;
}

export type CheckpointCommit =
  | "committed"
  /** The lease expired or another instance took it: stop acting. */
  | "lease_lost"
  /** The stored checkpoint was not the expected one: another holder moved it. */
  | "checkpoint_moved";
