// A snapshot of the saga's fold: its state as the leader held it at a checkpoint it
// had committed, so taking the lease (or starting a replica) folds the log from that
// checkpoint rather than from the log's start, which grows for ever without retention.
//
// The image's bytes are saga-image-codec.ts's. Nothing decides on an image it
// cannot trust: another SAGA_SNAPSHOT_FORMAT (the state's shape or meaning changed),
// another configuration (thresholds are kept per span in the state) or bytes that do
// not decode make the reader fold from the start, as before snapshots.

import { createHash } from "node:crypto";
import { serialize } from "node:v8";
import type { MonitoringConfig, MonitoringState } from "../domain/monitoring/index.js";
import type { GlobalCheckpoint } from "../event-store/event-store.js";
import type { LeaseClaim } from "../subscription/subscription-lease.js";

/**
 * Bump whenever the image's bytes (saga-image-codec.ts), MonitoringState's shape or what its
 * fields mean change: a snapshot of another format is passed over. saga-snapshot.int.spec.ts
 * lists the state's fields and fails when they change, as a reminder. 5: service and span names
 * are kept by their first 1,024 bytes (domain/monitoring/bounded-text.ts). 6: openSince is when
 * the saga learned of a span or trace (a start dated ahead no longer counts), learnedAt gone.
 * 7: statsEvicted, statistics let go past config.maxOperations (their maps are capped).
 */
export const SAGA_SNAPSHOT_FORMAT = 7;

/** What a SagaFold is, besides its configuration. */
export interface SagaFoldImage {
  readonly lastTick: bigint;
  readonly nextTick: bigint;
  readonly newestRecorded: bigint;
  readonly state: Omit<MonitoringState, "config">;
}

export interface SagaSnapshot {
  readonly format: number;
  readonly configDigest: string;
  /** The committed checkpoint the state reflects. */
  readonly checkpoint: GlobalCheckpoint;
  /** The prefix of the monitoring stream (its version) whose alert events the state holds (SagaFold.alertsKnown). */
  readonly alertsVersion: number;
  /** Events read from the start of the log to reach it. */
  readonly events: number;
  /** Unix nanoseconds. */
  readonly writtenAt: bigint;
  /** The image, serialised and compressed (saga-image-codec.ts). */
  readonly image: Buffer;
}

/** A stored snapshot as `load` found it: without its image when that is not of the wanted format and configuration. */
export type LoadedSnapshot = Omit<SagaSnapshot, "image"> & { readonly image: Buffer | undefined };

/** Reads and writes the saga's one snapshot; writes only while `claim`'s lease is held. */
export interface SagaSnapshotStore {
  /**
   * With `wanted`, the image (megabytes for a big state) is fetched only when the snapshot was
   * folded under that format and configuration: a replica that cannot use it does not pay for it.
   */
  load(subscriberId: string, wanted?: Pick<SagaSnapshot, "format" | "configDigest">): Promise<LoadedSnapshot | undefined>;
  /** False when the lease was no longer held: nothing written. */
  save(claim: Pick<LeaseClaim, "subscriberId" | "shard" | "holder" | "token">, snapshot: SagaSnapshot): Promise<boolean>;
}

/**
 * Identifies the configuration and tick spacing a state was folded under: a span's
 * slow threshold is fixed when it starts, and ticks fall at the spacing's multiples,
 * so a state folded under other settings is not what a fold from the start would hold.
 */
export function sagaConfigDigest(config: MonitoringConfig, tickNs: bigint): string {
  return createHash("sha256").update(serialize([canonical(config), tickNs])).digest("hex");
}

/** Maps and Sets as sorted entries: the same settings written in another order are the same configuration. */
function canonical(value: unknown): unknown {
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [k, canonical(v)] as const).sort(([a], [b]) => compare(a, b)) };
  if (value instanceof Set) return { set: [...value].map(canonical).sort(compare) };
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)] as const).sort(([a], [b]) => compare(a, b)));
  }
  return value;
}

function compare(a: unknown, b: unknown): number {
  const [x, y] = [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
