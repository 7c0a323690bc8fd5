// Rules shared by every EventStore implementation, so they cannot drift apart:
// what a well-formed request is, and how a request whose event ids are already
// stored is answered (a retry, or a reused id).

import {
  type AppendRequest,
  type AppendResult,
  EventIdConflictError,
  type GlobalCheckpoint,
  type ReadStreamOptions,
  type StreamId,
} from "./event-store.js";

/** Unix nanoseconds from the system clock (millisecond precision). */
export const systemClock = (): bigint => BigInt(Date.now()) * 1_000_000n;

const STREAM_ID = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The largest version a stream can reach: the version column is a PostgreSQL integer. */
export const MAX_VERSION = 2 ** 31 - 1;
const MIN_INT64 = -(2n ** 63n);
/** The largest time (and any other int8) the store holds. */
export const MAX_INT64 = 2n ** 63n - 1n;

export function assertStreamId(streamId: StreamId): void {
  if (typeof streamId !== "string" || !STREAM_ID.test(streamId)) {
    throw new TypeError(`stream id must be a trace id as 32 lowercase hex characters, got ${JSON.stringify(streamId)}`);
  }
}

/**
 * Throws TypeError or RangeError for a malformed request: a programming error, not a
 * conflict. Checked for every request of a batch before anything is written.
 */
export function assertAppendRequest(request: AppendRequest): void {
  assertStreamId(request.streamId);
  const expected = request.expectedVersion;
  if (expected !== "any" && expected !== "no_stream" && !(Number.isInteger(expected) && expected >= 0 && expected <= MAX_VERSION)) {
    throw new RangeError(`expected version must be a non-negative integer, "no_stream" or "any", got ${String(expected)}`);
  }
  const last = request.expectedLastPosition;
  if (last !== undefined && !(typeof last === "bigint" && last > 0n && last <= MAX_INT64 && typeof expected === "number" && expected > 0)) {
    throw new RangeError(`expected last position must be a positive bigint, with an expected version above 0, got ${String(last)} at ${String(expected)}`);
  }
  if (!Array.isArray(request.events) || request.events.length === 0) {
    throw new RangeError(`an append to stream ${request.streamId} needs at least one event`);
  }
  const events = request.events;
  // A set only for long requests: a command's few events compare faster pairwise.
  const ids = events.length > SMALL_REQUEST ? new Set<string>() : undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (typeof event.eventId !== "string" || !UUID.test(event.eventId)) {
      throw new TypeError(`event id must be a lowercase canonical UUID, got ${JSON.stringify(event.eventId)}`);
    }
    if (ids ? ids.has(event.eventId) : appearsBefore(events, i)) {
      throw new RangeError(`event id ${event.eventId} appears twice in one append to stream ${request.streamId}`);
    }
    ids?.add(event.eventId);
    if (typeof event.type !== "string" || event.type === "") {
      throw new TypeError(`event ${event.eventId} needs a type`);
    }
    if (!(event.payload instanceof Uint8Array)) {
      throw new TypeError(`event ${event.eventId}: payload must be a Uint8Array`);
    }
    if (typeof event.occurredAt !== "bigint" || event.occurredAt < MIN_INT64 || event.occurredAt > MAX_INT64) {
      throw new TypeError(`event ${event.eventId}: occurredAt must be a bigint of Unix nanoseconds`);
    }
  }
  if (typeof expected === "number" && expected + request.events.length > MAX_VERSION) {
    throw new RangeError(`stream ${request.streamId} would pass the largest version ${MAX_VERSION}`);
  }
}

const SMALL_REQUEST = 16;

function appearsBefore(events: AppendRequest["events"], i: number): boolean {
  const id = events[i]!.eventId;
  for (let k = 0; k < i; k++) if (events[k]!.eventId === id) return true;
  return false;
}

export function assertReadStreamOptions(options: ReadStreamOptions): void {
  const { afterVersion, toVersion, limit, recordedAtOrBefore, maxBytes } = options;
  if (afterVersion !== undefined && !(Number.isInteger(afterVersion) && afterVersion >= 0)) {
    throw new RangeError(`afterVersion must be a non-negative integer, got ${String(afterVersion)}`);
  }
  if (toVersion !== undefined && !(Number.isInteger(toVersion) && toVersion >= 0)) {
    throw new RangeError(`toVersion must be a non-negative integer, got ${String(toVersion)}`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`limit must be a non-negative integer, got ${String(limit)}`);
  }
  if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) {
    throw new RangeError(`maxBytes must be a positive integer, got ${String(maxBytes)}`);
  }
  if (recordedAtOrBefore !== undefined && typeof recordedAtOrBefore !== "bigint") {
    throw new TypeError("recordedAtOrBefore must be a bigint of Unix nanoseconds");
  }
}

export function assertLimit(limit: number): void {
  if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
}

export function assertCheckpoint(checkpoint: GlobalCheckpoint, what = "checkpoint"): void {
  if (typeof checkpoint?.transactionId !== "bigint" || typeof checkpoint.position !== "bigint") {
    throw new TypeError(`${what} needs bigint transactionId and position`);
  }
  if (checkpoint.transactionId < 0n || checkpoint.position < 0n) throw new RangeError(`${what} must not be negative`);
}

export function assertShard(shard: number): void {
  if (!(Number.isInteger(shard) && shard >= 0 && shard <= MAX_VERSION)) {
    throw new RangeError(`shard must be a non-negative integer, got ${String(shard)}`);
  }
}

/** Orders checkpoints and log places: by transaction id, then position. */
export function compareCheckpoints(a: GlobalCheckpoint, b: GlobalCheckpoint): number {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return 0;
}

/** An event of the request whose id the stream already holds. */
export interface StoredMatch {
  /** The index of the event in the request. */
  readonly index: number;
  /** Where the stream holds it. */
  readonly version: number;
  readonly position: bigint;
  /** Same type, payload and occurredAt as the request's event. */
  readonly sameContent: boolean;
}

/**
 * Answers a request some of whose event ids are already stored. It is a retry, answered
 * with the original versions and positions, when every id is stored with the same
 * content, at consecutive versions in the request's order. Otherwise an id was reused:
 * EventIdConflictError names the first one stored with other content, else the first
 * stored out of place.
 */
export function answerStoredIds(request: AppendRequest, matches: readonly StoredMatch[]): AppendResult | EventIdConflictError {
  const sorted = [...matches].sort((a, b) => a.index - b.index);
  const first = sorted[0];
  if (first === undefined) throw new Error("answerStoredIds needs at least one stored event");
  const idAt = (index: number): string => request.events[index]?.eventId ?? "";
  const different = sorted.find((m) => !m.sameContent);
  if (different) return new EventIdConflictError(request.streamId, idAt(different.index));
  if (sorted.length < request.events.length) {
    // Part of the request is stored: appends are atomic, so this is not a retry of one.
    return new EventIdConflictError(request.streamId, idAt(first.index));
  }
  for (let k = 1; k < sorted.length; k++) {
    const match = sorted[k]!;
    if (match.version !== first.version + k) return new EventIdConflictError(request.streamId, idAt(match.index));
  }
  return {
    streamId: request.streamId,
    nextVersion: sorted[sorted.length - 1]!.version,
    positions: sorted.map((m) => m.position),
    duplicate: true,
  };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
