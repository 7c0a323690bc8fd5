// Keeps a claimed lease alive while its holder works, however long one piece of
// work takes (an exporter may wait minutes for a collector to come back). It
// calls `onLost` once: when a renewal finds another holder, or when renewals
// have failed (the database unreachable) for so long that the lease may have
// expired; the holder must then stop acting.

import type { LeaseClaim, SubscriptionLease } from "./subscription-lease.js";

/** Treat the lease as gone a little before it really expires: clocks drift, statements take time. */
const SAFETY = 0.9;

export class LeaseHeartbeat {
  private readonly interval: NodeJS.Timeout;
  private expiry: NodeJS.Timeout;
  private stopped = false;
  private renewing = false;

  constructor(
    private readonly lease: SubscriptionLease,
    private readonly claim: LeaseClaim,
    private readonly ttlMs: number,
    private readonly onLost: (reason: string) => void,
    /** Called on every tick, for work that rides along (lag reporting). */
    private readonly onTick: () => void = () => {},
  ) {
    // The claim itself was a renewal that started just before now.
    this.expiry = setTimeout(() => this.lose("the lease could not be renewed before it expired"), ttlMs * SAFETY);
    this.interval = setInterval(() => void this.beat(), Math.max(1, Math.floor(ttlMs / 3)));
  }

  /** A renewal that happened elsewhere (markInFlight renews too) and started at `startedAt` (performance.now()). */
  confirmed(startedAt: number): void {
    if (this.stopped) return;
    clearTimeout(this.expiry);
    const left = startedAt + this.ttlMs * SAFETY - performance.now();
    this.expiry = setTimeout(() => this.lose("the lease could not be renewed before it expired"), Math.max(0, left));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.expiry);
  }

  private async beat(): Promise<void> {
    this.onTick();
    if (this.renewing || this.stopped) return;
    this.renewing = true;
    const startedAt = performance.now();
    try {
      if (await this.lease.renew(this.claim, this.ttlMs)) this.confirmed(startedAt);
      else this.lose("another instance holds the lease");
    } catch {
      // Keep trying on the next beats; the expiry timer decides when it is too late.
    } finally {
      this.renewing = false;
    }
  }

  private lose(reason: string): void {
    if (this.stopped) return;
    this.stop();
    this.onLost(reason);
  }
}
