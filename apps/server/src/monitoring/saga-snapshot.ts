// A snapshot of the saga's fold: its state as the leader held it at a checkpoint it
// had committed, so taking the lease (or starting a replica) folds the log from that
// checkpoint rather than from the log's start, which grows for ever without retention.
//
// The state is plain data (Maps in recency order, a Set sharing the Map's trace
// objects, bigints), which the structured-clone serialisation of node:v8 keeps whole,
// identity and order included. It is written in parts (the open traces a few hundred
// at a time) and read the same way, so a state of a hundred thousand running spans
// does not hold the event loop for the whole of it. Nothing decides on an image it
// cannot trust: another SAGA_SNAPSHOT_FORMAT (the state's shape or meaning changed),
// another configuration (thresholds are kept per span in the state) or bytes that do
// not decode make the reader fold from the start, as before snapshots.

import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { promisify } from "node:util";
import { deflateRaw, inflateRaw } from "node:zlib";
import type { MonitoringConfig, MonitoringState } from "../domain/monitoring/index.js";
import type { TraceTrack } from "../domain/monitoring/monitoring-state.js";
import type { GlobalCheckpoint } from "../event-store/event-store.js";
import { TimeSlices, type Steps } from "../trace-reads/time-slices.js";

/** Bump whenever MonitoringState, or what its fields mean, changes. */
export const SAGA_SNAPSHOT_FORMAT = 1;

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
  /**
   * The monitoring stream's version when it was taken. The state holds every alert event up
   * to it that the leader knew of; one stored there by a replica that had lost the lease is
   * one the leader decides too, with the same id and content, as it reads on.
   */
  readonly alertsVersion: number;
  /** Events read from the start of the log to reach it. */
  readonly events: number;
  /** Unix nanoseconds. */
  readonly writtenAt: bigint;
  /** The image, serialised and compressed (encodeImage). */
  readonly image: Buffer;
}

/** Reads and writes the saga's one snapshot; writes only while `claim`'s lease is held. */
export interface SagaSnapshotStore {
  load(subscriberId: string): Promise<SagaSnapshot | undefined>;
  /** False when the lease was no longer held: nothing written. */
  save(claim: { subscriberId: string; shard: number; holder: string; token: bigint }, snapshot: SagaSnapshot): Promise<boolean>;
}

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** Open traces per serialised part: each part is a small piece of a time slice. */
const TRACES_PER_PART = 500;

interface ImageHead extends Omit<SagaFoldImage, "state"> {
  readonly state: Omit<MonitoringState, "config" | "traces" | "liveTraces">;
  /** liveTraces, by trace id, in the Set's order. */
  readonly liveTraceIds: readonly string[];
  readonly traceParts: number;
}

/**
 * The image as bytes: a part with everything but the open traces, then the traces
 * (entries of the Map, in its order) a few hundred per part, each part a length and a
 * v8 serialisation. Steps, so the leader's event loop turns between parts; the caller
 * must not change the fold until they end (the runner changes it only inside a step).
 */
export function* encodeImage(image: SagaFoldImage, tracesPerPart = TRACES_PER_PART): Steps<Buffer> {
  const { traces, liveTraces, ...rest } = image.state;
  const entries = [...traces];
  const parts: Buffer[] = [];
  const head: ImageHead = {
    lastTick: image.lastTick,
    nextTick: image.nextTick,
    newestRecorded: image.newestRecorded,
    state: rest,
    liveTraceIds: [...liveTraces].map((t) => t.traceId),
    traceParts: Math.ceil(entries.length / tracesPerPart),
  };
  parts.push(framed(serialize(head)));
  for (let first = 0; first < entries.length; first += tracesPerPart) {
    yield;
    parts.push(framed(serialize(entries.slice(first, first + tracesPerPart))));
  }
  return Buffer.concat(parts);
}

export function compressImage(encoded: Buffer): Promise<Buffer> {
  return deflate(encoded);
}

/** Throws when the bytes are not an image (corrupt, or written by an incompatible Node). */
export async function decodeImage(compressed: Buffer, slices: TimeSlices = new TimeSlices()): Promise<SagaFoldImage> {
  const bytes = await inflate(compressed);
  return slices.run(readImage(bytes));
}

function* readImage(bytes: Buffer): Steps<SagaFoldImage> {
  let offset = 0;
  const part = (): unknown => {
    if (offset + 4 > bytes.length) throw new Error("the saga snapshot ends before its last part");
    const length = bytes.readUInt32BE(offset);
    if (offset + 4 + length > bytes.length) throw new Error("the saga snapshot ends inside a part");
    const value = deserialize(bytes.subarray(offset + 4, offset + 4 + length)) as unknown;
    offset += 4 + length;
    return value;
  };
  const head = part() as ImageHead;
  if (typeof head !== "object" || head === null || typeof head.lastTick !== "bigint" || !Array.isArray(head.liveTraceIds) || !(head.state?.services instanceof Map)) {
    throw new Error("the saga snapshot does not begin with a fold's image");
  }
  const traces: MonitoringState["traces"] = new Map();
  for (let i = 0; i < head.traceParts; i++) {
    yield;
    for (const [traceId, track] of part() as [string, TraceTrack][]) traces.set(traceId, track);
  }
  if (offset !== bytes.length) throw new Error("the saga snapshot has bytes after its last part");
  const liveTraces: MonitoringState["liveTraces"] = new Set();
  for (const traceId of head.liveTraceIds) {
    const track = traces.get(traceId);
    if (!track) throw new Error(`the saga snapshot lists trace ${traceId} as running but does not hold it`);
    liveTraces.add(track);
  }
  return { lastTick: head.lastTick, nextTick: head.nextTick, newestRecorded: head.newestRecorded, state: { ...head.state, traces, liveTraces } };
}

function framed(bytes: Buffer): Buffer {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * Identifies the configuration and tick spacing a state was folded under: a span's
 * slow threshold is fixed when it starts, and ticks fall at the spacing's multiples,
 * so a state folded under other settings is not what a fold from the start would hold.
 */
export function sagaConfigDigest(config: MonitoringConfig, tickNs: bigint): string {
  return createHash("sha256").update(serialize([config, tickNs])).digest("hex");
}
