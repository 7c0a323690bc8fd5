// What a leased subscriber reports about itself. Every method is optional, so
// a metrics class (ServerMetrics.setSubscriberLag) or a logger can serve as one
// without adapting to the rest.

import type { LeaseClaim } from "./subscription-lease.js";

export interface SubscriptionObserver {
  /**
   * How far behind the log the subscriber is, in seconds: while it handles a
   * slice, the age of the oldest event not yet handled; after a slice, the age
   * of its newest event; 0 when it found nothing new.
   */
  setSubscriberLag?(subscriber: string, seconds: number): void;
  /** This instance became the holder. */
  leaseClaimed?(subscriber: string, claim: LeaseClaim): void;
  /** This instance stopped being the holder, and why. */
  leaseLost?(subscriber: string, reason: string): void;
  /** Reading, handling or saving failed; the subscriber pauses and tries again. */
  failed?(subscriber: string, error: unknown): void;
}
