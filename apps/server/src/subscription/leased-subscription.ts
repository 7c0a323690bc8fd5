// A background subscriber of the global log that exactly one instance across
// replicas runs at a time, and that never skips an event:
//
//   claim the lease -> load the checkpoint -> read a slice -> mark it in flight
//   (renewing the lease) -> handle it -> save the checkpoint (compare-and-set)
//   -> read on ... and renew the lease on a heartbeat all along.
//
// The checkpoint moves only after the handler resolved, so effects happen at
// least once. Effects may repeat only for events that were in flight when a
// tenure ended without saving (a crash, a lost lease); the next holder receives
// those with `redelivered` set, so it can count them. The lease is a row with an
// expiry on the database's clock: a holder that dies stops renewing and another
// instance takes over once it expires (design section 9: no session state).

import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { EventStore, GlobalCheckpoint, StoredEvent } from "../event-store/event-store.js";
import { compareCheckpoints, systemClock } from "../event-store/rules.js";
import { LeaseHeartbeat } from "./lease-heartbeat.js";
import type { SubscriptionHandler } from "./subscription-handler.js";
import type { LeaseClaim, SubscriptionLease } from "./subscription-lease.js";
import type { SubscriptionObserver } from "./subscription-observer.js";
import { WakeableSleep } from "./wakeable-sleep.js";
import { failurePauseMs } from "../retry/failure-pause.js";

export interface LeasedSubscriptionOptions {
  readonly store: EventStore;
  readonly lease: SubscriptionLease;
  /** Names the checkpoint and the lease. */
  readonly subscriberId: string;
  /** The log shard (one, 0, today). */
  readonly shard?: number;
  /** This instance in the lease row. Default: host, process id and a random part. */
  readonly holder?: string;
  readonly handler: SubscriptionHandler;
  /** Most events per read. Default 500. */
  readonly batchSize?: number;
  /** The rest when caught up: how often the log is polled for other replicas' commits. Default 1,000 ms. */
  readonly idleMs?: number;
  /**
   * The shortest time between two reads after a slice that was not full, even
   * when woken: gathers commits into fewer, larger slices. Default 0.
   */
  readonly minIntervalMs?: number;
  /** How long a lease lasts without renewal; renewed every third of it. Default 15,000 ms. */
  readonly leaseTtlMs?: number;
  /** How often an instance that is not the holder tries to claim. Default a third of the lease. */
  readonly claimIntervalMs?: number;
  /** Unix nanoseconds, for lag. */
  readonly clock?: () => bigint;
  readonly observer?: SubscriptionObserver;
}

export class LeasedSubscription {
  readonly holder: string;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly rest = new WakeableSleep();
  private claim: LeaseClaim | undefined;
  private lastRead = 0;
  /** Recorded time of the oldest event being handled, while a slice is in the handler. */
  private handlingSince: bigint | undefined;
  private readonly shard: number;
  private readonly batchSize: number;
  private readonly ttlMs: number;
  private readonly clock: () => bigint;

  constructor(private readonly options: LeasedSubscriptionOptions) {
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.shard = options.shard ?? 0;
    this.batchSize = options.batchSize ?? 500;
    this.ttlMs = options.leaseTtlMs ?? 15_000;
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new RangeError("batchSize must be a positive integer");
    if (!(this.ttlMs >= 3)) throw new RangeError("leaseTtlMs must be at least 3 ms");
  }

  /** Claims (or waits for) the lease and follows the log in the background until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops: no new slice is started, the handler's signal aborts, the lease is
   * released so another replica can take over at once. Waits for the handler.
   */
  async stop(): Promise<void> {
    if (!this.running) return this.loop;
    this.running = false;
    this.stopping.abort(new Error("the subscriber is stopping"));
    this.rest.wake();
    await this.loop;
  }

  /** New events were committed: read soon (not before the minimum interval since the last read). */
  wake(): void {
    if (!this.claim) return;
    this.rest.wake(Math.max(0, this.lastRead + (this.options.minIntervalMs ?? 0) - performance.now()));
  }

  private async run(): Promise<void> {
    const { lease, subscriberId, observer } = this.options;
    let failures = 0;
    while (this.running) {
      let claim: LeaseClaim | undefined;
      try {
        claim = await lease.claim(subscriberId, this.shard, this.holder, this.ttlMs);
        failures = 0;
      } catch (error) {
        observer?.failed?.(subscriberId, error);
        await this.rest.sleep(failurePauseMs(failures++), this.stopping.signal);
        continue;
      }
      if (claim) await this.hold(claim);
      else await this.rest.sleep(this.options.claimIntervalMs ?? Math.ceil(this.ttlMs / 3), this.stopping.signal);
    }
  }

  /** One tenure: follows the log until the lease is lost or the subscriber stops. */
  private async hold(claim: LeaseClaim): Promise<void> {
    const { lease, subscriberId, observer } = this.options;
    const tenure = new AbortController();
    const onStop = () => tenure.abort(this.stopping.signal.reason);
    this.stopping.signal.addEventListener("abort", onStop, { once: true });
    const heartbeat = new LeaseHeartbeat(
      lease,
      claim,
      this.ttlMs,
      (reason) => {
        observer?.leaseLost?.(subscriberId, reason);
        tenure.abort(new Error(`lease lost: ${reason}`));
        this.rest.wake();
      },
      () => this.reportLag(),
    );
    this.claim = claim;
    observer?.leaseClaimed?.(subscriberId, claim);
    try {
      await this.follow(claim, tenure.signal, heartbeat);
    } finally {
      heartbeat.stop();
      this.stopping.signal.removeEventListener("abort", onStop);
      this.claim = undefined;
      this.handlingSince = undefined;
      if (!this.running) {
        await lease.release(claim).catch(() => {});
        observer?.leaseLost?.(subscriberId, "released: the subscriber stopped");
      }
    }
  }

  private async follow(claim: LeaseClaim, signal: AbortSignal, heartbeat: LeaseHeartbeat): Promise<void> {
    const { store, lease, handler, subscriberId, observer } = this.options;
    let checkpoint: GlobalCheckpoint | undefined;
    // Events up to here may have had their effects already: an earlier tenure's
    // marker, or this tenure's own after its handler failed part-way.
    let redeliverUntil = claim.inFlight;
    let failures = 0;
    while (!signal.aborted) {
      let pauseMs = 0;
      let marked: GlobalCheckpoint | undefined;
      try {
        checkpoint ??= await store.loadCheckpoint(subscriberId, this.shard);
        if (redeliverUntil && compareCheckpoints(redeliverUntil, checkpoint) <= 0) redeliverUntil = undefined;
        this.lastRead = performance.now();
        let slice = await store.readAll(checkpoint, this.batchSize);
        const read = slice.events.length;
        if (read === 0) {
          observer?.setSubscriberLag?.(subscriberId, 0);
          pauseMs = this.options.idleMs ?? 1000;
        } else {
          const wanted = handler.take ? Math.min(read, Math.max(1, Math.floor(handler.take(slice.events)))) : read;
          // The first `wanted` events after a checkpoint are the same on every read
          // (readAll only returns what sits below every running transaction), so a
          // shorter read yields exactly that prefix and the checkpoint after it.
          if (wanted < read) slice = await store.readAll(checkpoint, wanted);
          const redelivered = redeliverUntil ? countRedelivered(slice.events, slice.checkpoint, redeliverUntil) : 0;

          const markedAt = performance.now();
          if (!(await lease.markInFlight(claim, slice.checkpoint, this.ttlMs))) {
            observer?.leaseLost?.(subscriberId, "another instance holds the lease");
            return;
          }
          heartbeat.confirmed(markedAt);
          marked = slice.checkpoint;
          this.handlingSince = slice.events[0]!.recordedAt;
          try {
            await handler.handle(slice.events, { signal, redelivered });
          } finally {
            this.handlingSince = undefined;
          }
          // Saved even if the lease was lost meanwhile: the effects are done, and the
          // compare-and-set refuses the save if another holder moved the checkpoint.
          if (await store.saveCheckpoint(subscriberId, checkpoint, slice.checkpoint, this.shard)) {
            checkpoint = slice.checkpoint;
            const newest = slice.events[slice.events.length - 1]!.recordedAt;
            observer?.setSubscriberLag?.(subscriberId, ageSeconds(this.clock(), newest));
          } else {
            checkpoint = undefined; // another holder moved it: start again from where it stands
          }
          failures = 0;
          // Behind (a full read, or a prefix taken): go on at once. Otherwise gather.
          if (read < this.batchSize && wanted === read) pauseMs = this.options.minIntervalMs ?? 0;
        }
      } catch (error) {
        if (signal.aborted) return;
        observer?.failed?.(subscriberId, error);
        if (marked && (!redeliverUntil || compareCheckpoints(marked, redeliverUntil) > 0)) redeliverUntil = marked;
        checkpoint = undefined; // a failed save may still have committed: read where it stands
        pauseMs = failurePauseMs(failures++);
      }
      if (pauseMs > 0) await this.rest.sleep(pauseMs, signal);
    }
  }

  private reportLag(): void {
    if (this.handlingSince === undefined) return;
    this.options.observer?.setSubscriberLag?.(this.options.subscriberId, ageSeconds(this.clock(), this.handlingSince));
  }
}

/** How many of the first events lie at or before `until` (a checkpoint is always some event's place). */
function countRedelivered(events: readonly StoredEvent[], end: GlobalCheckpoint, until: GlobalCheckpoint): number {
  if (compareCheckpoints(end, until) <= 0) return events.length;
  const last = events.findIndex((e) => e.position === until.position);
  return last + 1;
}

function ageSeconds(now: bigint, recordedAt: bigint): number {
  return now > recordedAt ? Number(now - recordedAt) / 1e9 : 0;
}

