// Runs the DistributedTracingSaga on the event log. Every replica runs one:
// each follows the global log (readAll) and folds it, so any replica can
// answer ListActiveSpans; the one holding the lease also acts: it appends the
// alert events to the monitoring stream, sends the saga's commands through the
// command bus, and only then moves the checkpoint, in one transaction with a
// renewal of its lease. So a checkpoint never passes an output that is not
// durable, and a crash at any point is followed by a replay that decides the
// same outputs again, which the idempotent append and the aggregate's
// idempotent closes absorb.
//
// Taking the lease rebuilds the state by replay: the log up to the saved
// checkpoint, then the monitoring stream folded over it (alerts stored after
// that checkpoint, before a crash, are known and not raised twice), then the
// commands still waiting for their effect are sent again. Error-rate and
// anomaly events the replay has not decided yet are held, not folded, until
// the rest of the log decides them again or has been read (stored-alerts.ts):
// folded at the checkpoint, one stored after it would be judged by the spans
// before it.
//
// A rebuild starts from the leader's latest snapshot of its state when there is one
// this server can trust (saga-snapshot-keeper.ts), written at a committed checkpoint every
// snapshotEveryEvents events; a starting replica's first fold does too. Without one it
// reads the whole log, and may outlast the lease (a million events
// took 20 s against a 15 s lease): it renews the lease between the pages it
// reads, as leaseStep would, and gives up at once when a renewal finds the
// lease gone, rather than finish and act beside the replica that took it.

import type { CommandResult } from "../commands/command-result.js";
import { pendingCommands, tracesWithOpenAlerts, type MonitoringCommand, type MonitoringConfig, type MonitoringEvent, type MonitoringOutput } from "../domain/monitoring/index.js";
import type { TraceCommand } from "../domain/trace/trace-commands.js";
import { EventIdConflictError, START_OF_LOG, type AppendResult, type EventStore, type GlobalCheckpoint } from "../event-store/event-store.js";
import { compareCheckpoints } from "../event-store/rules.js";
import type { Logger } from "../log/logger.js";
import type { LeaseClaim, SubscriptionLease } from "../subscription/subscription-lease.js";
import { WakeableSleep } from "../subscription/wakeable-sleep.js";
import type { ActiveSpanFeed } from "./active-span-feed.js";
import { decodeAlertEvent } from "./alert-codec.js";
import type { MonitoringObserver } from "./monitoring-observer.js";
import { alertEventId, MONITORING_STREAM_ID, toNewAlertEvent } from "./monitoring-stream.js";
import { SagaFold, viewOf } from "./saga-fold.js";
import type { SagaSnapshotStore } from "./saga-snapshot.js";
import { DEFAULT_SNAPSHOT_EVERY_EVENTS, RestoreAbandoned, SagaSnapshotKeeper, type RestoredFold } from "./saga-snapshot-keeper.js";
import { DEFAULT_SLICE_MS, TimeSlices } from "../trace-reads/time-slices.js";
import { failurePauseMs } from "../retry/failure-pause.js";

/** The saga's checkpoint (subscriber id) and lease name. */
export const MONITORING_SUBSCRIBER = "monitoring-saga";

export interface MonitoringCommandSink {
  submit(command: TraceCommand): Promise<CommandResult>;
}

export interface SagaRunnerOptions {
  readonly store: EventStore;
  /** Who runs the saga: the lease named MONITORING_SUBSCRIBER (shard 0). */
  readonly lease: SubscriptionLease;
  /** Identifies this replica in the lease row and in logs. */
  readonly holder: string;
  /** Where CloseOrphanedSpan and CloseTrace go: the command bus. */
  readonly commands: MonitoringCommandSink;
  readonly config: MonitoringConfig;
  /** Unix nanoseconds: the saga's only source of time (its ticks, held back to the store's read horizon when that is earlier). */
  readonly clock: () => bigint;
  /** How often time passes for the saga; also the spacing of the ticks a replay gives. */
  readonly tickIntervalMs: number;
  /** The lease duration: the holder renews three times per duration, and a follower tries to take it as often. */
  readonly leaseMs: number;
  /** Events per read. Default 5,000. */
  readonly batchSize?: number;
  /** How long to rest when caught up and nobody woke us. Default 250 ms. */
  readonly idleMs?: number;
  /** Shortest time between two reads when woken by commits: gathers commits into fewer reads. Default 50 ms. */
  readonly minIntervalMs?: number;
  readonly observer?: MonitoringObserver;
  readonly feed?: ActiveSpanFeed;
  readonly log?: Logger;
  /** Called after alert events are durable (wakes alert watchers, the alert listing, the webhook). */
  readonly onAlertsStored?: () => void;
  /** Where the leader keeps a snapshot of its state and rebuilds start from; none: every rebuild folds the whole log. */
  readonly snapshots?: SagaSnapshotStore;
  /** The leader writes a snapshot once its fold has read this many events since the last; 0: never. Default 250,000. */
  readonly snapshotEveryEvents?: number;
  /** And at most once per this long. Default 30 s. */
  readonly snapshotMinIntervalMs?: number;
}

type Role = "follower" | "leader";

export class SagaRunner {
  private fold: SagaFold;
  /** While a new leader's rebuilt fold catches up, the follower's fold still answers readers. */
  private previous: SagaFold | undefined;
  private role: Role = "follower";
  /** Our lease while we are the leader. */
  private claim: LeaseClaim | undefined;
  /** What the fold has consumed. */
  private position: GlobalCheckpoint = START_OF_LOG;
  /** The leader's stored checkpoint. */
  private committed: GlobalCheckpoint = START_OF_LOG;
  /** The leader's outputs not yet durable, oldest first. */
  private pendingAlerts: MonitoringEvent[] = [];
  private pendingCommands: MonitoringCommand[] = [];
  /** performance.now() of the last lease action (acquire attempt or renewal). */
  private lastLeaseAction = -Infinity;
  private readonly tickNs: bigint;
  private readonly batchSize: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly rest = new WakeableSleep();
  /** The fold that was checked against the log once it had caught up (forgetVanishedTraces). */
  private checked: SagaFold | undefined;
  /** Traces a follower's fold would close (forgetClosedTracesGone). */
  private readonly closesToCheck = new Set<string>();
  /** The last step's tick was due by the clock but held back by the log's horizon (or skipped for want of one). */
  private tickHeldBack = false;
  /** performance.now() when the background loop's last step began. */
  private lastStep = 0;
  private readonly snapshots: SagaSnapshotKeeper | undefined;
  /** The first step looked for a snapshot to start the follower's fold from. */
  private snapshotLookedFor = false;
  /** The fold whose evictions were last looked at, and how many it had made by then (reportEvictions). */
  private evictionsOf: SagaFold | undefined;
  private evictionsSeen = 0;
  private readyResolve!: () => void;
  /** Settles once the first catch-up is done: the state shows the log as it was at start. */
  readonly ready: Promise<void> = new Promise((resolve) => (this.readyResolve = resolve));

  constructor(private readonly options: SagaRunnerOptions) {
    this.tickNs = BigInt(options.tickIntervalMs) * 1_000_000n;
    this.batchSize = options.batchSize ?? 5000;
    this.fold = new SagaFold(options.config, this.tickNs, options.feed);
    this.snapshots =
      options.snapshots &&
      new SagaSnapshotKeeper({
        snapshots: options.snapshots,
        subscriberId: MONITORING_SUBSCRIBER,
        config: options.config,
        tickNs: this.tickNs,
        clock: options.clock,
        everyEvents: options.snapshotEveryEvents ?? DEFAULT_SNAPSHOT_EVERY_EVENTS,
        minIntervalMs: options.snapshotMinIntervalMs ?? 30_000,
        log: options.log,
      });
  }

  get isLeader(): boolean {
    return this.role === "leader";
  }

  /** The saga's state as this replica knows it (read only). */
  get state(): SagaFold["state"] {
    return (this.previous ?? this.fold).state;
  }

  now(): bigint {
    return this.options.clock();
  }

  /** Follows the log in the background until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.follow();
  }

  /** Stops following; a leader makes its outputs durable if it can and gives the lease up. */
  async stop(): Promise<void> {
    this.running = false;
    this.rest.wake();
    await this.loop;
    if (this.role === "leader") {
      try {
        await this.settle();
      } catch (error) {
        this.options.log?.warn("monitoring: could not store the last outputs at shutdown; the next leader decides them again", { error });
      }
      if (this.claim) await this.options.lease.release(this.claim).catch(() => {});
      this.role = "follower";
      this.claim = undefined;
    }
  }

  /** New events were committed: look soon (not before the minimum interval since the last step began). */
  wake(): void {
    if (!this.running) return this.rest.wake();
    this.rest.wake(Math.max(0, this.lastStep + (this.options.minIntervalMs ?? 50) - performance.now()));
  }

  /**
   * One round: take or renew the lease, make pending outputs durable, read the
   * log to its end, and tick if a tick interval has passed (or `forceTick`).
   * The background loop repeats it; tests call it directly with their clock.
   */
  async step(forceTick = false): Promise<void> {
    await this.leaseStep();
    if (!this.snapshotLookedFor) await this.startFromSnapshot();
    if (this.role === "leader") await this.settle();
    const horizon = await this.catchUp();
    // Only a follower's first fold is unchecked here (a leader's was checked in its rebuild):
    // what it resolves is the leader's to store.
    if (this.fold !== this.checked) await this.forgetVanishedTraces(this.fold);
    if (this.previous) {
      this.fold.caughtUp();
      // Held alerts the catch-up decided again were stored as duplicates, and counted by nobody.
      if (this.role === "leader") this.reportOpenAlerts(this.fold);
      this.handOver(this.previous);
    }
    this.readyResolve();
    // Time passes for the saga only as far as the log is known complete: a transaction held
    // open elsewhere holds ticks back (until it ends) rather than letting them judge spans
    // by ends that are committed or on their way but not readable yet.
    const due = horizon !== undefined && (forceTick || horizon - this.fold.lastTickAt >= this.tickNs);
    this.tickHeldBack = !due && this.options.clock() - this.fold.lastTickAt >= this.tickNs;
    if (due && horizon !== undefined) {
      const out: MonitoringOutput[] = [];
      this.fold.tick(horizon, out);
      this.collect(out);
      if (this.role === "leader") await this.settle();
    }
    if (this.closesToCheck.size > 0) await this.forgetClosedTracesGone();
    // The fold does not change until the write settles: this step waits for it.
    if (this.snapshotDue()) await this.snapshots!.write(this.fold, this.claim!, this.committed);
    // Every replica holds the count; only the leader reports it, so a sum over replicas is right.
    this.options.observer?.setActiveSpans(this.role === "leader" ? this.fold.runningCount() : 0);
    if (this.role === "leader") this.reportOpenAlerts(this.fold);
    this.reportEvictions();
  }

  /**
   * Counts the statistics the leader's fold let go since the last step (every replica's fold lets
   * the same ones go: only the leader counts, so a sum over replicas is right). Another fold (a
   * rebuild, a snapshot restored) starts from what it holds: what it let go replaying the log,
   * the fold before it had let go already.
   */
  private reportEvictions(): void {
    const evicted = this.fold.state.statsEvicted;
    if (this.role === "leader" && this.evictionsOf === this.fold && evicted > this.evictionsSeen) this.options.observer?.statsEvicted?.(evicted - this.evictionsSeen);
    this.evictionsOf = this.fold;
    this.evictionsSeen = evicted;
  }

  /** A replica's first fold goes on from the leader's snapshot rather than from the log's start. */
  private async startFromSnapshot(): Promise<void> {
    // A leader already rebuilt (from the snapshot, if any) when it took the lease.
    if (this.role === "follower" && this.fold.eventsRead === 0) {
      const restored = await this.snapshots?.restore(undefined, this.options.feed);
      if (restored) {
        this.fold = restored.fold;
        this.position = restored.checkpoint;
      }
    }
    this.snapshotLookedFor = true;
  }

  private snapshotDue(): boolean {
    return (
      this.snapshots !== undefined &&
      this.role === "leader" &&
      this.previous === undefined &&
      // What the state holds is durable: every output stored or sent, the checkpoint at the fold.
      this.pendingAlerts.length === 0 &&
      this.pendingCommands.length === 0 &&
      compareCheckpoints(this.committed, this.position) === 0 &&
      this.snapshots.due(this.fold)
    );
  }

  private async follow(): Promise<void> {
    let failures = 0;
    const idleMs = this.options.idleMs ?? 250;
    while (this.running) {
      this.lastStep = performance.now();
      let pauseMs = idleMs;
      try {
        await this.step();
        failures = 0;
      } catch (error) {
        this.options.log?.error("monitoring saga failed; retrying", { error });
        // Back off while the database is unwell: 0.5 s, 1 s, 2 s ... 10 s.
        pauseMs = failurePauseMs(failures++);
      }
      if (!this.running) break;
      if (failures > 0) {
        // A failed step never reached its tick or lease action: both are due at once, and
        // waiting for them would mean retrying without a pause (hundreds of times a second).
        // Commits wake the runner (every ~50 ms under ingest): only stop() may cut this pause.
        const until = performance.now() + pauseMs;
        while (this.running && performance.now() < until) await this.rest.sleep(until - performance.now());
        continue;
      }
      // A tick held back by the log's horizon is looked for again a tick interval later, not at once.
      const tickDueMs = Number(this.fold.lastTickAt + this.tickNs - this.options.clock()) / 1e6;
      const untilTick = this.tickHeldBack ? Math.max(this.options.tickIntervalMs, tickDueMs) : tickDueMs;
      const untilLease = this.lastLeaseAction + this.leaseEveryMs() - performance.now();
      await this.rest.sleep(Math.max(0, Math.min(pauseMs, untilTick, untilLease)));
    }
  }

  private leaseEveryMs(): number {
    return this.options.leaseMs / 3;
  }

  private async leaseStep(): Promise<void> {
    if (performance.now() - this.lastLeaseAction < this.leaseEveryMs()) return;
    this.lastLeaseAction = performance.now();
    const { lease, log, holder, leaseMs } = this.options;
    if (this.role === "leader") {
      if (!(await lease.renew(this.claim!, leaseMs))) this.becomeFollower("the lease expired or was taken");
      return;
    }
    const claim = await lease.claim(MONITORING_SUBSCRIBER, 0, holder, leaseMs);
    if (claim) {
      log?.info("monitoring: this replica took the saga's lease; rebuilding its state", { holder });
      await this.becomeLeader(claim);
    }
  }

  /**
   * Reads the log to its end; returns the time up to which it is known complete: the clock as
   * it was before the read that found nothing more, or the store's horizon for that read when
   * earlier (a transaction still running held the read back). Undefined when the store could
   * not tell: no tick then.
   */
  private async catchUp(): Promise<bigint | undefined> {
    const { store, clock, observer } = this.options;
    for (;;) {
      const readAt = clock();
      const slice = await store.readAll(this.position, this.batchSize);
      const out: MonitoringOutput[] = [];
      // Indexed: for-of here allocated an iterator result per event (seen in an allocation profile).
      const events = slice.events;
      for (let i = 0; i < events.length; i++) this.fold.event(events[i]!, out);
      this.collect(out);
      this.position = slice.checkpoint;
      if (this.role === "leader") await this.settle();
      const last = slice.events[slice.events.length - 1];
      if (observer) observer.setSubscriberLag(MONITORING_SUBSCRIBER, last ? Math.max(0, Number(clock() - last.recordedAt) / 1e9) : 0);
      if (slice.events.length < this.batchSize) {
        // A page the store had in memory says nothing about what came after it: ask again.
        if (slice.horizon === undefined && slice.events.length > 0) continue;
        if (slice.horizon === undefined) return undefined;
        return slice.horizon < readAt ? slice.horizon : readAt;
      }
    }
  }

  /**
   * A fold that read the log from its start (a replica's first, a new leader's rebuild)
   * read below every subscriber's checkpoint, where retention deletes: a trace deleted
   * between two of its pages left only its first events in the fold (a span running for
   * ever, a close refused as TRACE_NOT_FOUND). Once it has read to where it stops reading
   * below the checkpoints (a replica's first catch-up; a rebuild at the checkpoint it replays
   * to), traces it holds that the log no longer has are forgotten; a trace deleted after that
   * was folded whole. So are the traces of the alerts it holds open that the log no longer
   * has: a raise read back from the stream whose trace a leader forgot (its close refused)
   * and died before storing the resolution. Returns the resolutions of their open alerts
   * ("trace_deleted"), which a leader stores.
   */
  private async forgetVanishedTraces(fold: SagaFold): Promise<MonitoringEvent[]> {
    const out: MonitoringEvent[] = [];
    const traceIds = new Set(fold.state.traces.keys());
    for (const traceId of tracesWithOpenAlerts(fold.state)) traceIds.add(traceId);
    const gone = await this.forgetTracesGone(fold, [...traceIds], out);
    if (gone > 0) {
      this.options.log?.info("monitoring: forgot traces deleted from the log while it was read from its start", { traces: gone, alerts_resolved: out.length });
      if (this.role === "leader") this.reportOpenAlerts(fold);
    }
    this.checked = fold;
    return out;
  }

  /** Forgets those of `traceIds` the log no longer has (their alerts' resolutions into `out`); returns how many. */
  private async forgetTracesGone(fold: SagaFold, traceIds: readonly string[], out: MonitoringOutput[]): Promise<number> {
    const versions = await this.options.store.streamVersions(traceIds);
    const gone = traceIds.filter((_, i) => versions[i] === 0);
    if (gone.length > 0) fold.forget(gone, out);
    return gone.length;
  }

  /**
   * A follower that fell behind every subscriber's checkpoint (a long pause, a lost database)
   * reads where retention deletes: a trace deleted between two of its reads leaves a span in its
   * fold that nothing ends. Only a close would show it (the span looks orphaned): the leader
   * forgets a trace whose close is refused as not found; a follower, which sends no close, asks
   * the log whether the traces it would close are still there.
   */
  private async forgetClosedTracesGone(): Promise<void> {
    // A follower stores nothing: the resolutions of the traces' alerts are the leader's to store.
    const gone = await this.forgetTracesGone(this.fold, [...this.closesToCheck], []);
    // Cleared once answered: a failed read is asked again at the next step.
    this.closesToCheck.clear();
    if (gone > 0) this.options.log?.info("monitoring: forgot traces deleted from the log while this replica was behind", { traces: gone });
  }

  /** A leader keeps what the saga decided until it is durable; a follower only folded it. */
  private collect(outputs: readonly MonitoringOutput[]): void {
    if (this.role !== "leader") {
      for (const output of outputs) if (output.type === "CloseOrphanedSpan" || output.type === "CloseTrace") this.closesToCheck.add(output.traceId);
      return;
    }
    for (const output of outputs) {
      if (output.type === "AlertRaised" || output.type === "AlertResolved") this.pendingAlerts.push(output);
      else this.pendingCommands.push(output);
    }
  }

  /** Makes pending outputs durable, then moves the checkpoint to where the fold is. */
  private async settle(): Promise<void> {
    if (this.pendingAlerts.length > 0) {
      await this.storeAlerts(this.pendingAlerts);
      this.pendingAlerts = [];
      this.options.onAlertsStored?.();
    }
    if (this.pendingCommands.length > 0) {
      this.pendingCommands = await this.sendCommands(this.pendingCommands);
      if (this.pendingCommands.length > 0) throw new Error(`${this.pendingCommands.length} saga command(s) could not be sent yet`);
    }
    if (compareCheckpoints(this.committed, this.position) === 0) return;
    const outcome = await this.options.lease.commitCheckpoint(this.claim!, this.committed, this.position, this.options.leaseMs);
    if (outcome === "committed") {
      this.committed = this.position;
      this.lastLeaseAction = performance.now();
    } else {
      this.becomeFollower(outcome === "lease_lost" ? "the lease expired or was taken" : "another replica moved the checkpoint");
    }
  }

  private async storeAlerts(events: readonly MonitoringEvent[]): Promise<void> {
    const { store, observer, log } = this.options;
    const unique = new Map(events.map((e) => [`${e.type}:${e.alertId}`, e]));
    const all = [...unique.values()];
    try {
      const result = await store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: all.map(toNewAlertEvent) });
      if (!result.duplicate) for (const event of all) count(observer, event);
      this.reportOpenAlerts(this.fold);
      this.knownThrough(result, all.length);
      return;
    } catch (error) {
      if (!(error instanceof EventIdConflictError)) throw error;
    }
    // Some were stored before (a replay after a crash, or a failover): one at a time, each new or a retry.
    for (const event of all) {
      try {
        const result = await store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: [toNewAlertEvent(event)] });
        if (!result.duplicate) count(observer, event);
        this.reportOpenAlerts(this.fold);
        this.knownThrough(result, 1);
      } catch (error) {
        if (!(error instanceof EventIdConflictError)) throw error;
        log?.warn("monitoring: an alert event was stored before with other content; keeping the stored one", { alert_id: event.alertId, type: event.type });
      }
    }
  }

  /**
   * The fold holds the stream's alerts up to where its own `count` events were appended, when
   * they came right after what it held: another replica's (one that lost the lease, perhaps
   * with other settings) in between stop the prefix there, so a rebuild from a snapshot folds them.
   */
  private knownThrough(result: AppendResult, count: number): void {
    if (!result.duplicate && result.nextVersion - count === this.fold.alertsKnown) this.fold.alertsKnown = result.nextVersion;
  }

  /** Sends commands; returns those to send again (the bus was busy or unavailable). */
  private async sendCommands(commands: readonly MonitoringCommand[]): Promise<MonitoringCommand[]> {
    const results = await Promise.all(commands.map((c) => this.options.commands.submit(c)));
    const again: MonitoringCommand[] = [];
    const gone: string[] = [];
    results.forEach((result, i) => {
      if (result.ok) return;
      const { kind, reason } = result.error;
      if (kind === "aborted" || kind === "unavailable") again.push(commands[i]!);
      // Rejected by the aggregate's rules (the span or trace is gone): nothing to retry.
      else this.options.log?.debug("monitoring: a saga command was refused", { command: commands[i]!.type, trace_id: result.traceId, reason });
      // The trace itself is gone (retention deleted it while the saga still tracked a span of
      // it): no close can ever end what the saga holds of it, so it forgets it.
      if (reason === "TRACE_NOT_FOUND") gone.push(result.traceId);
    });
    if (gone.length > 0) {
      // Their open alerts are resolved ("trace_deleted"), stored at the next settle.
      const out: MonitoringOutput[] = [];
      this.fold.forget(gone, out);
      this.collect(out);
      this.reportOpenAlerts(this.fold);
    }
    return again;
  }

  private becomeFollower(why: string): void {
    if (this.role !== "leader") return;
    this.options.log?.warn("monitoring: this replica no longer runs the saga", { why, holder: this.options.holder });
    this.role = "follower";
    this.claim = undefined;
    // Not durable, and the next leader decides them again from its checkpoint.
    this.pendingAlerts = [];
    this.pendingCommands = [];
    // The leader shows the open alerts (dashboards take the max over replicas): not this one now.
    this.options.observer?.setOpenAlerts(new Map());
  }

  private async becomeLeader(claim: LeaseClaim): Promise<void> {
    const checkpoint = await this.options.store.loadCheckpoint(MONITORING_SUBSCRIBER);
    const rebuilt = await this.replay(checkpoint, claim);
    if (!rebuilt) {
      this.options.log?.warn("monitoring: the lease was lost while rebuilding the saga's state; this replica stays a follower", { holder: this.options.holder });
      return;
    }
    const { fold, resolutions } = rebuilt;
    this.previous ??= this.fold;
    // Its catch-up tells nobody; the hand-over tells watchers of the spans it saw stop, and why.
    fold.rememberStops();
    this.fold = fold;
    this.evictionsOf = fold;
    this.evictionsSeen = fold.state.statsEvicted;
    this.position = this.committed = checkpoint;
    // What the rebuild resolved for traces the log no longer has: stored at the first settle.
    this.pendingAlerts = resolutions;
    this.pendingCommands = pendingCommands(fold.state);
    this.snapshots?.rebuilt(fold);
    this.claim = claim;
    this.role = "leader";
    this.reportOpenAlerts(fold);
  }

  /**
   * The open-alert gauge is the leader's state, set outright: after every store of alert events
   * and every step, not counted up and down by the events stored. A new leader did not witness
   * the raises it rebuilt, and an alert resolved in the state (a trace forgotten as deleted)
   * is resolved there before its resolution is stored: counting that too would take it off twice.
   */
  private reportOpenAlerts(fold: SagaFold): void {
    const observer = this.options.observer;
    if (!observer) return;
    const open = new Map<string, number>();
    for (const alert of fold.state.openAlerts.values()) open.set(alert.kind, (open.get(alert.kind) ?? 0) + 1);
    observer.setOpenAlerts(open);
  }

  /**
   * While a rebuild holds `claim` without acting on it: renews it when leaseStep would have,
   * so a rebuild keeps its lease as long as its pages keep coming. False once it is lost.
   */
  private async keepLease(claim: LeaseClaim): Promise<boolean> {
    if (performance.now() - this.lastLeaseAction < this.leaseEveryMs()) return true;
    this.lastLeaseAction = performance.now();
    return this.options.lease.renew(claim, this.options.leaseMs);
  }

  /**
   * A fresh fold of the log up to `checkpoint`, with the monitoring stream folded over it, and
   * the resolutions of alerts whose trace the log no longer has; undefined when the lease was
   * lost meanwhile (the replica that took it rebuilds its own).
   */
  private async replay(checkpoint: GlobalCheckpoint, claim: LeaseClaim): Promise<{ fold: SagaFold; resolutions: MonitoringEvent[] } | undefined> {
    const { store, config, log } = this.options;
    let restored: RestoredFold | undefined;
    try {
      // A big state takes a while to decode: the lease is kept meanwhile, as between pages.
      const keepingLease = new TimeSlices(DEFAULT_SLICE_MS, async () => {
        if (!(await this.keepLease(claim))) throw new RestoreAbandoned();
      });
      restored = await this.snapshots?.restore(checkpoint, undefined, keepingLease);
    } catch (error) {
      if (error instanceof RestoreAbandoned) return undefined;
      throw error;
    }
    const fold = restored?.fold ?? new SagaFold(config, this.tickNs);
    const discard: MonitoringOutput[] = [];
    let from = restored?.checkpoint ?? START_OF_LOG;
    let events = 0;
    while (compareCheckpoints(from, checkpoint) < 0) {
      if (!(await this.keepLease(claim))) return undefined;
      const slice = await store.readAll(from, this.batchSize);
      if (slice.events.length === 0) {
        log?.error("monitoring: the log ends before the saga's checkpoint; continuing from its end", { checkpoint });
        break;
      }
      let reached = false;
      for (let i = 0; i < slice.events.length; i++) {
        const stored = slice.events[i]!;
        fold.event(stored, discard);
        discard.length = 0;
        events++;
        // A checkpoint is the (transaction, position) of the last event read, and positions are unique.
        if (stored.position === checkpoint.position) {
          reached = true;
          break;
        }
      }
      if (reached) break;
      from = slice.checkpoint;
    }
    let alerts = 0;
    // The alert events a snapshot holds are not folded again.
    for (let after = fold.alertsKnown; ; ) {
      if (!(await this.keepLease(claim))) return undefined;
      const page = await store.readStream(MONITORING_STREAM_ID, { afterVersion: after, limit: 1000 });
      for (const stored of page) fold.fold(decodeAlertEvent(stored.type, stored.payload));
      alerts += page.length;
      if (page.length > 0) fold.alertsKnown = after = page[page.length - 1]!.version;
      if (page.length < 1000) break;
    }
    // First what the stream does not have is let go, so that every alert still open has its
    // raise stored; then the traces retention deleted under the rebuild (or since its snapshot)
    // are forgotten, and their alerts resolved. Both at the checkpoint, before any tick: a slow
    // span of a deleted trace let go is not raised again. This is the rebuilt fold's one check
    // (forgetVanishedTraces): a trace deleted later lay wholly before the checkpoint read here.
    await this.forgetAlertsNotStored(fold);
    const resolutions = await this.forgetVanishedTraces(fold);
    log?.info("monitoring: saga state rebuilt", { events, from_snapshot: fold.restoredEvents, alert_events: alerts, running_spans: fold.runningCount() });
    return { fold, resolutions };
  }

  /**
   * A rebuilt state's open alerts are the stream's: every alert it holds open, or holds a stored
   * raise of, must still have its raise there. Retention deletes a resolved alert, raise and
   * resolution together, once its readers have read it, so a rebuild can hold one open that the
   * stream no longer resolves: from a snapshot older than the deletion, from a replay that
   * decides its raise again from traces still kept (the tick that resolved it is not replayed),
   * or from a page of the stream read before a pass deleted the page its resolution was on.
   * A replay may also decide a raise no leader stored: the last one moved its checkpoint, then
   * died before storing what its next tick decided. Such an alert is let go (kept open, it would
   * be resolved again without a raise), and decided again where the rules still say so.
   */
  private async forgetAlertsNotStored(fold: SagaFold): Promise<void> {
    const held = [...fold.state.heldAlerts.values()].filter((e) => e.type === "AlertRaised").map((e) => e.alertId);
    const open = [...new Set([...fold.state.openAlerts.keys(), ...held])];
    const gone: string[] = [];
    for (let i = 0; i < open.length; i += 5000) {
      const some = open.slice(i, i + 5000);
      const raises = some.map((alertId) => alertEventId({ type: "AlertRaised", alertId }));
      const present = await this.options.store.presentEventIds(MONITORING_STREAM_ID, raises);
      some.forEach((alertId, k) => present.has(raises[k]!) || gone.push(alertId));
    }
    if (gone.length === 0) return;
    fold.forgetAlertsNotStored(gone);
    this.options.log?.info("monitoring: let go of alerts the rebuilt state held open whose raise is no longer stored", { alerts: gone.length });
  }

  /** The rebuilt fold has caught up: it answers readers now, and watchers are told how it differs. */
  private handOver(previous: SagaFold): void {
    this.previous = undefined;
    const feed = this.options.feed;
    if (feed?.watched) this.tellWatchers(previous, feed);
    // Then it tells them itself (and forgets why the spans of its catch-up stopped).
    this.fold.attach(feed);
  }

  /** How the rebuilt fold's running spans differ from those `previous` told of. */
  private tellWatchers(previous: SagaFold, feed: ActiveSpanFeed): void {
    const gone = new Map<string, { traceId: string; spanId: string; service: string }>();
    for (const trace of previous.state.liveTraces) for (const span of trace.running.values()) gone.set(`${span.traceId}/${span.spanId}`, span);
    for (const trace of this.fold.state.liveTraces) {
      for (const span of trace.running.values()) {
        gone.delete(`${span.traceId}/${span.spanId}`);
        feed.publish({ type: "upserted", span: viewOf(span) });
      }
    }
    for (const span of gone.values()) {
      // Stopped during the catch-up with a reason; stopped before the rebuild's checkpoint (the
      // previous fold had not read so far), or forgotten with a deleted trace: ended.
      const reason = this.fold.stopReason(span.traceId, span.spanId) ?? "ended";
      feed.publish({ type: "stopped", traceId: span.traceId, spanId: span.spanId, service: span.service, reason });
    }
  }
}

function count(observer: MonitoringObserver | undefined, event: MonitoringEvent): void {
  if (!observer) return;
  if (event.type === "AlertRaised") observer.alertRaised(event.kind);
  else observer.alertResolved(event.kind);
}
