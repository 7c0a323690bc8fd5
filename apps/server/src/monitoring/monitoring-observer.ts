// What the runner reports as it goes, for /metrics (ServerMetrics implements
// it). Every method is cheap and must not throw.

export interface MonitoringObserver {
  /** The running spans, from the replica that runs the saga (0 from the others, so a sum over replicas is right). */
  setActiveSpans(count: number): void;
  /** An alert event the leader stored for the first time (never for a duplicate append): the raised and resolved counters. */
  alertRaised(kind: string): void;
  alertResolved(kind: string): void;
  /**
   * Every alert open, by kind, in the leader's state (kinds left out have none open): set after
   * every store of alert events, every step and on taking the lease, so it always wins over
   * anything alertRaised/alertResolved did to the gauge. Empty from a replica that is not the leader.
   */
  setOpenAlerts(countsByKind: ReadonlyMap<string, number>): void;
  /**
   * Statistics of services and operations the leader's fold let go past MONITORING_MAX_OPERATIONS
   * since the last call (never those a rebuild let go again while replaying the log).
   */
  statsEvicted?(count: number): void;
  /** How old the newest event was when the subscriber processed it, 0 when caught up. */
  setSubscriberLag(subscriber: string, seconds: number): void;
}
