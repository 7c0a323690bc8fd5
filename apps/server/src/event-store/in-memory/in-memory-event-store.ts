// The reference EventStore: the contract's semantics with nothing in the way. For
// tests; the PostgreSQL store is held to the same contract suite.
//
// Every method is atomic (JavaScript runs one at a time), so readAll never races a
// writer; transaction ids are all 0n and the log is in position order.

import { appendRounds } from "../append-rounds.js";
import {
  type AppendError,
  type AppendRequest,
  type AppendResult,
  type EventStore,
  type GlobalCheckpoint,
  type ReadAllResult,
  type ReadStreamOptions,
  START_OF_LOG,
  type StoredEvent,
  type StreamHead,
  type StreamId,
  VersionConflictError,
} from "../event-store.js";
import {
  answerStoredIds,
  assertAppendRequest,
  assertCheckpoint,
  assertLimit,
  assertReadStreamOptions,
  assertShard,
  assertStreamId,
  compareCheckpoints,
  sameBytes,
  type StoredMatch,
  systemClock,
} from "../rules.js";

interface InMemoryEventStoreOptions {
  /** Unix nanoseconds for recordedAt. Default: the system clock. */
  readonly clock?: () => bigint;
}

interface Stream {
  readonly events: StoredEvent[];
  readonly byId: Map<string, StoredEvent>;
  lastRecordedAt: bigint;
}

export class InMemoryEventStore implements EventStore {
  private readonly clock: () => bigint;
  private readonly streams = new Map<StreamId, Stream>();
  private readonly log: StoredEvent[] = [];
  private readonly checkpoints = new Map<string, GlobalCheckpoint>();
  private nextPosition = 1n;
  private closed = false;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async append(request: AppendRequest): Promise<AppendResult> {
    const [result] = await this.appendMany([request]);
    if (result instanceof Error) throw result;
    return result!;
  }

  async appendMany(requests: readonly AppendRequest[]): Promise<Array<AppendResult | AppendError>> {
    this.assertOpen();
    for (const request of requests) assertAppendRequest(request);
    if (requests.length === 0) return [];
    const now = this.clock();
    const results = new Array<AppendResult | AppendError>(requests.length);
    for (const round of appendRounds(requests)) for (const { slot, request } of round) results[slot] = this.appendOne(request, now);
    return results;
  }

  private appendOne(request: AppendRequest, now: bigint): AppendResult | AppendError {
    const stream = this.streams.get(request.streamId);
    const version = stream?.events.length ?? 0;

    const matches: StoredMatch[] = [];
    if (stream) {
      request.events.forEach((event, index) => {
        const stored = stream.byId.get(event.eventId);
        if (stored) {
          matches.push({
            index,
            version: stored.version,
            position: stored.position,
            sameContent:
              stored.type === event.type && stored.occurredAt === event.occurredAt && sameBytes(stored.payload, event.payload),
          });
        }
      });
    }
    if (matches.length > 0) return answerStoredIds(request, matches);

    const expected = request.expectedVersion;
    const base = expected === "any" ? version : expected === "no_stream" ? 0 : expected;
    if (base !== version) return new VersionConflictError(request.streamId, expected, version);
    const last = request.expectedLastPosition;
    if (last !== undefined && stream?.events[version - 1]?.position !== last) return new VersionConflictError(request.streamId, expected, version);

    const target: Stream = stream ?? { events: [], byId: new Map(), lastRecordedAt: now };
    if (!stream) this.streams.set(request.streamId, target);
    const recordedAt = now > target.lastRecordedAt ? now : target.lastRecordedAt;
    target.lastRecordedAt = recordedAt;
    const positions: bigint[] = [];
    request.events.forEach((event, k) => {
      const stored: StoredEvent = Object.freeze({
        streamId: request.streamId,
        version: version + k + 1,
        eventId: event.eventId,
        type: event.type,
        payload: event.payload.slice(),
        occurredAt: event.occurredAt,
        recordedAt,
        position: this.nextPosition++,
      });
      target.events.push(stored);
      target.byId.set(stored.eventId, stored);
      this.log.push(stored);
      positions.push(stored.position);
    });
    return { streamId: request.streamId, nextVersion: version + request.events.length, positions, duplicate: false };
  }

  async readStream(streamId: StreamId, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    assertStreamId(streamId);
    assertReadStreamOptions(options);
    const events = this.streams.get(streamId)?.events ?? [];
    const after = options.afterVersion ?? 0;
    const to = options.toVersion ?? Number.MAX_SAFE_INTEGER;
    const asOf = options.recordedAtOrBefore;
    const selected = events.filter((e) => e.version > after && e.version <= to && (asOf === undefined || e.recordedAt <= asOf));
    const limited = options.limit === undefined ? selected : selected.slice(0, options.limit);
    if (options.maxBytes !== undefined) {
      let bytes = 0;
      const within = limited.findIndex((e) => (bytes += e.payload.length) >= options.maxBytes!);
      if (within >= 0) limited.length = within + 1;
    }
    return limited.map(copy);
  }

  async streamVersion(streamId: StreamId): Promise<number> {
    this.assertOpen();
    assertStreamId(streamId);
    return this.streams.get(streamId)?.events.length ?? 0;
  }

  async streamHead(streamId: StreamId): Promise<StreamHead> {
    this.assertOpen();
    assertStreamId(streamId);
    const events = this.streams.get(streamId)?.events ?? [];
    const last = events[events.length - 1];
    return last ? { version: last.version, lastPosition: last.position } : { version: 0 };
  }

  async streamVersions(streamIds: readonly StreamId[]): Promise<number[]> {
    this.assertOpen();
    for (const streamId of streamIds) assertStreamId(streamId);
    return streamIds.map((streamId) => this.streams.get(streamId)?.events.length ?? 0);
  }

  async presentEventIds(streamId: StreamId, eventIds: readonly string[]): Promise<Set<string>> {
    this.assertOpen();
    assertStreamId(streamId);
    const asked = new Set(eventIds);
    return new Set((this.streams.get(streamId)?.events ?? []).map((e) => e.eventId).filter((id) => asked.has(id)));
  }

  async readAll(checkpoint: GlobalCheckpoint, limit: number): Promise<ReadAllResult> {
    this.assertOpen();
    assertCheckpoint(checkpoint);
    assertLimit(limit);
    const after = (e: StoredEvent) => compareCheckpoints({ transactionId: 0n, position: e.position }, checkpoint) > 0;
    let start = this.log.findIndex(after);
    if (start === -1) start = this.log.length;
    const events = this.log.slice(start, start + limit).map(copy);
    const last = events[events.length - 1];
    // Nothing is ever written out of order here: the log as read is complete up to now.
    return { events, checkpoint: last ? { transactionId: 0n, position: last.position } : checkpoint, horizon: this.clock() };
  }

  async loadCheckpoint(subscriberId: string, shard = 0): Promise<GlobalCheckpoint> {
    this.assertOpen();
    assertShard(shard);
    return this.checkpoints.get(checkpointKey(subscriberId, shard)) ?? START_OF_LOG;
  }

  async saveCheckpoint(subscriberId: string, expected: GlobalCheckpoint, next: GlobalCheckpoint, shard = 0): Promise<boolean> {
    this.assertOpen();
    assertShard(shard);
    assertCheckpoint(expected, "expected checkpoint");
    assertCheckpoint(next, "next checkpoint");
    const key = checkpointKey(subscriberId, shard);
    if (compareCheckpoints(this.checkpoints.get(key) ?? START_OF_LOG, expected) !== 0) return false;
    this.checkpoints.set(key, { transactionId: next.transactionId, position: next.position });
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the event store is closed");
  }
}

function checkpointKey(subscriberId: string, shard: number): string {
  if (typeof subscriberId !== "string" || subscriberId === "") throw new TypeError("subscriber id must be a non-empty string");
  return `${shard}\u0000${subscriberId}`;
}

/** Readers get their own payload bytes: the store's stay as appended. */
function copy(event: StoredEvent): StoredEvent {
  return { ...event, payload: event.payload.slice() };
}
