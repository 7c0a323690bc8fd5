// The saga runner's snapshots (saga-snapshot.ts): when its leader writes one, what it
// writes, and the fold a rebuild or a starting replica goes on from. The runner decides
// when its state is durable enough to be written; this decides the rest.

import type { LeaseClaim } from "../subscription/subscription-lease.js";
import type { MonitoringConfig } from "../domain/monitoring/index.js";
import type { GlobalCheckpoint } from "../event-store/event-store.js";
import { compareCheckpoints } from "../event-store/rules.js";
import type { Logger } from "../log/logger.js";
import { TimeSlices } from "../trace-reads/time-slices.js";
import type { ActiveSpanFeed } from "./active-span-feed.js";
import { SagaFold } from "./saga-fold.js";
import { compressImage, decodeImage, encodeImage, SnapshotUnreadable } from "./saga-image-codec.js";
import { SAGA_SNAPSHOT_FORMAT, sagaConfigDigest, type LoadedSnapshot, type SagaSnapshotStore } from "./saga-snapshot.js";

export const DEFAULT_SNAPSHOT_EVERY_EVENTS = 250_000;

export interface SagaSnapshotKeeperOptions {
  readonly snapshots: SagaSnapshotStore;
  /** The saga's subscriber id: the snapshot's row. */
  readonly subscriberId: string;
  readonly config: MonitoringConfig;
  readonly tickNs: bigint;
  readonly clock: () => bigint;
  /** A snapshot once the fold has read this many events since the last; 0: never. */
  readonly everyEvents: number;
  /** And at most once per this long. */
  readonly minIntervalMs: number;
  readonly log?: Logger;
}

/** Thrown by a restore's pause hook to give the restore up (a rebuild that lost its lease). */
export class RestoreAbandoned extends Error {}

/** A fold restored from a snapshot, and where in the log it stands. */
export interface RestoredFold {
  readonly fold: SagaFold;
  readonly checkpoint: GlobalCheckpoint;
}

export class SagaSnapshotKeeper {
  private readonly configDigest: string;
  /** The fold's eventsRead when a snapshot was last written, or rebuilt from. */
  private writtenAtEvents = 0;
  /** performance.now() of the last write (or attempt). */
  private lastWriteAt = -Infinity;

  constructor(private readonly options: SagaSnapshotKeeperOptions) {
    this.configDigest = sagaConfigDigest(options.config, options.tickNs);
  }

  /** A new leader's fold: the next snapshot is due `everyEvents` after the one it was rebuilt from. */
  rebuilt(fold: SagaFold): void {
    this.writtenAtEvents = fold.restoredEvents;
  }

  due(fold: SagaFold): boolean {
    const { everyEvents, minIntervalMs } = this.options;
    return everyEvents > 0 && fold.eventsRead - this.writtenAtEvents >= everyEvents && performance.now() - this.lastWriteAt >= minIntervalMs;
  }

  /**
   * Stores `fold`, whose state is durable at `checkpoint`, while `claim` holds the lease; a
   * failure only leaves the older snapshot. The caller must not change the fold until this
   * settles: it is read in time slices, between which the event loop turns.
   */
  async write(fold: SagaFold, claim: LeaseClaim, checkpoint: GlobalCheckpoint): Promise<void> {
    const { snapshots, clock, log } = this.options;
    const events = fold.eventsRead;
    this.writtenAtEvents = events;
    this.lastWriteAt = performance.now();
    try {
      const chunks = await new TimeSlices().run(encodeImage(fold.image()));
      const image = await compressImage(chunks);
      const saved = await snapshots.save(
        claim,
        { format: SAGA_SNAPSHOT_FORMAT, configDigest: this.configDigest, checkpoint, alertsVersion: fold.alertsKnown, events, writtenAt: clock(), image },
      );
      if (saved) log?.debug("monitoring: stored a snapshot of the saga's state", { events, bytes: image.length, serialized_bytes: chunks.reduce((sum, c) => sum + c.length, 0) });
    } catch (error) {
      log?.warn("monitoring: could not store a snapshot of the saga's state; a rebuild folds more of the log", { error });
    }
  }

  /**
   * A fold restored from the stored snapshot, when there is one this server can trust at or
   * before `upTo`. A store that cannot be reached throws (the caller's step is retried); one
   * the database refuses to read, and a snapshot that cannot be used, are passed over, and
   * the fold starts from the log's start.
   * A big state is decoded in time slices; `slices` may renew a lease at each pause, and give
   * the restore up by throwing RestoreAbandoned.
   */
  async restore(upTo: GlobalCheckpoint | undefined, feed: ActiveSpanFeed | undefined, slices = new TimeSlices()): Promise<RestoredFold | undefined> {
    const { snapshots, subscriberId, config, tickNs, log } = this.options;
    let snapshot: LoadedSnapshot | undefined;
    try {
      snapshot = await snapshots.load(subscriberId, { format: SAGA_SNAPSHOT_FORMAT, configDigest: this.configDigest });
    } catch (error) {
      // The database answered and refused (the table gone, a right revoked, a row it cannot
      // read): that does not pass by itself, and retrying would keep the replica unready for
      // good, while the log can still be folded from its start. A lost connection is retried.
      if (!refusedByDatabase(error)) throw error;
      log?.warn("monitoring: the saga's snapshot could not be read; folding the log from its start", { error });
      return undefined;
    }
    if (!snapshot) return undefined;
    const position = { tx_id: snapshot.checkpoint.transactionId.toString(), position: snapshot.checkpoint.position.toString() };
    if (snapshot.format !== SAGA_SNAPSHOT_FORMAT || snapshot.configDigest !== this.configDigest || !snapshot.image) {
      log?.info("monitoring: the saga's snapshot was folded under another format or configuration; folding the log from its start", { format: snapshot.format });
      return undefined;
    }
    if (upTo && compareCheckpoints(snapshot.checkpoint, upTo) > 0) {
      log?.warn("monitoring: the saga's snapshot is past its checkpoint; folding the log from its start", { snapshot: position });
      return undefined;
    }
    try {
      const image = await decodeImage(snapshot.image, slices);
      log?.info("monitoring: the saga's state goes on from its snapshot", { ...position, events: snapshot.events });
      return { fold: new SagaFold(config, tickNs, feed, { image, events: snapshot.events, alertsVersion: snapshot.alertsVersion }), checkpoint: snapshot.checkpoint };
    } catch (error) {
      // Only the bytes' own faults: a lease lost or a database error meanwhile is the caller's.
      if (!(error instanceof SnapshotUnreadable)) throw error;
      log?.warn("monitoring: the saga's snapshot could not be decoded; folding the log from its start", { error });
      return undefined;
    }
  }
}

/**
 * An error PostgreSQL answered with that retrying will not mend: SQLSTATE classes 42 (no such
 * table, no right), 22 (data exception), 0A (not supported) and XX (internal, data corrupted).
 */
function refusedByDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^(42|22|0A|XX)[0-9A-Z]{3}$/.test(code);
}
