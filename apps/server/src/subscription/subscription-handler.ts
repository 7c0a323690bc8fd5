// What a leased subscriber does with the events it reads. The loop moves the
// checkpoint past events only after handle() resolved for them, so a handler's
// effects happen at least once; `redelivered` tells which may be repeats.

import type { StoredEvent } from "../event-store/event-store.js";

export interface SubscriptionContext {
  /**
   * Aborted when the lease is lost or the subscriber stops: do not start new
   * effects after it. An effect already under way may finish; if the events
   * were all handled, the checkpoint still moves (compare-and-set keeps that safe).
   */
  readonly signal: AbortSignal;
  /**
   * How many of the first events were possibly handled already by an earlier
   * tenure that stopped before saving its checkpoint (a crash, a lost lease):
   * their effects may happen twice. An upper bound, never an undercount.
   */
  readonly redelivered: number;
}

export interface SubscriptionHandler {
  /**
   * How many of `events`, from the first, the next handle() should receive
   * (at least 1; default all). Lets a handler bound the work between two saved
   * checkpoints, and so what a crash can make it repeat. Called before any
   * effect, so it must only look at the events.
   */
  take?(events: readonly StoredEvent[]): number;
  /**
   * Acts on the events, in log order. Resolve once their effects are done;
   * throw to have the same events read again after a pause.
   */
  handle(events: readonly StoredEvent[], context: SubscriptionContext): Promise<void>;
}
