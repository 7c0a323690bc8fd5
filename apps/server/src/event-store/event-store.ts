// The event store: per-trace streams of events with optimistic concurrency, a
// gap-free global read for subscribers, and their durable checkpoints.
// Implementations: in-memory/ and postgres/, held to one contract suite.

/** A stream id is a trace id as 32 lowercase hex characters. */
export type StreamId = string;

/** An event to append. Its bytes are the protobuf encoding of the message named by `type`. */
export interface NewEvent {
  /** A UUID in canonical form. Appending an id the stream already holds is a retry, not a new event. */
  readonly eventId: string;
  /** The short event name, for example "SpanStarted" (the TraceEvent oneof case's message name). */
  readonly type: string;
  readonly payload: Uint8Array;
  /** When the fact happened, Unix nanoseconds. */
  readonly occurredAt: bigint;
}

export interface StoredEvent extends NewEvent {
  readonly streamId: StreamId;
  /** 1 for the first event of a stream. */
  readonly version: number;
  /** Global order of this node's log; grows, may have gaps. */
  readonly position: bigint;
  /** When the store recorded it, Unix nanoseconds (the store's injected clock). */
  readonly recordedAt: bigint;
}

/**
 * What the writer believes the stream's version is: a number for exactly that
 * version (0 means the stream does not exist yet), "no_stream", or "any".
 */
export type ExpectedVersion = number | "no_stream" | "any";

export interface AppendRequest {
  readonly streamId: StreamId;
  readonly expectedVersion: ExpectedVersion;
  /**
   * With an expected version above 0: the position of the stream's last event as the
   * writer saw it. A stream deleted (retention) and begun again up to the same version is
   * another stream, and only this tells: its events have new positions (a node's log never
   * gives one twice), whereas their ids may be the same (trace event ids derive from what
   * they record). A stream whose last event is elsewhere fails as a VersionConflictError.
   */
  readonly expectedLastPosition?: bigint;
  readonly events: readonly NewEvent[];
}

export interface AppendResult {
  readonly streamId: StreamId;
  /** The stream version after the append (after the original append, for a retry). */
  readonly nextVersion: number;
  /** The global positions of the appended events, in order. */
  readonly positions: readonly bigint[];
  /** True when every event id was already stored: a retry that changed nothing. */
  readonly duplicate: boolean;
}

/** A stream's last event: where it stands now. */
export interface StreamHead {
  /** 0 when the stream does not exist. */
  readonly version: number;
  /** The last event's position; absent when the stream does not exist. */
  readonly lastPosition?: bigint;
}

export interface ReadStreamOptions {
  /** Only events with a version greater than this. Default 0. */
  readonly afterVersion?: number;
  /** Only events with a version up to and including this. */
  readonly toVersion?: number;
  /** Only events recorded at or before this time, Unix nanoseconds (time travel). */
  readonly recordedAtOrBefore?: bigint;
  /** At most this many events. */
  readonly limit?: number;
  /**
   * Stops once the payloads read reach this many bytes: the event that reaches it is the
   * last one returned (so a caller can tell the budget, not the stream, ended the read),
   * and the first always comes. Bounds what a page of large events holds in memory.
   */
  readonly maxBytes?: number;
}

/**
 * Where a subscriber stands in the global log. Position alone is not enough under
 * concurrent writers (sequences commit out of order), so PostgreSQL orders by the
 * writer's transaction id first; in-memory uses 0n for it.
 */
export interface GlobalCheckpoint {
  readonly transactionId: bigint;
  readonly position: bigint;
}

export const START_OF_LOG: GlobalCheckpoint = { transactionId: 0n, position: 0n };

export interface ReadAllResult {
  readonly events: readonly StoredEvent[];
  /** Pass back to continue after these events; unchanged when nothing was read. */
  readonly checkpoint: GlobalCheckpoint;
  /**
   * The read's horizon, Unix nanoseconds on the store's clock (that of recordedAt): every
   * event recorded at or before it that was not before `checkpoint` was visible to this
   * read, in the slice or after it (a later read gets those). A writer's transaction still
   * running when the read began holds it back to about that transaction's start, and an
   * append of the same store that the database has not received yet to just before its
   * recorded time (another replica's such append is not known: replicas' clocks and
   * transit times are assumed small against the saga's tick). Absent
   * when the store cannot tell (a page answered from memory; a page its byte budget cut
   * short; a running transaction whose start this connection may not see): the read then
   * says nothing about time.
   */
  readonly horizon?: bigint;
}

export interface EventStore {
  /** Appends to one stream atomically. Throws VersionConflictError or EventIdConflictError. */
  append(request: AppendRequest): Promise<AppendResult>;
  /**
   * Group commit: appends to many streams in one round trip. Each request
   * succeeds or fails on its own; a failure is returned in its slot, not thrown.
   * Positions follow appendRounds' order (by stream id; a stream named again in a
   * later round), not the batch's.
   */
  appendMany(requests: readonly AppendRequest[]): Promise<Array<AppendResult | AppendError>>;
  readStream(streamId: StreamId, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  /** The current version of a stream, 0 when it does not exist. */
  streamVersion(streamId: StreamId): Promise<number>;
  /** The stream's version and its last event's position (see AppendRequest.expectedLastPosition), in one read. */
  streamHead(streamId: StreamId): Promise<StreamHead>;
  /** The current versions of many streams in one round trip, in their order; 0 for one that does not exist. */
  streamVersions(streamIds: readonly StreamId[]): Promise<number[]>;
  /** Which of `eventIds` the stream holds now: an event deleted by retention is not among them. */
  presentEventIds(streamId: StreamId, eventIds: readonly string[]): Promise<Set<string>>;
  /**
   * Events after `checkpoint` in global order, never skipping an event that
   * commits later with a smaller position.
   */
  readAll(checkpoint: GlobalCheckpoint, limit: number): Promise<ReadAllResult>;
  /** A subscriber's checkpoint for a shard (one shard, 0, today); START_OF_LOG when none. */
  loadCheckpoint(subscriberId: string, shard?: number): Promise<GlobalCheckpoint>;
  /**
   * Compare-and-set: stores `next` only if the stored checkpoint still equals
   * `expected`. Returns false when another writer moved it first.
   */
  saveCheckpoint(subscriberId: string, expected: GlobalCheckpoint, next: GlobalCheckpoint, shard?: number): Promise<boolean>;
  close(): Promise<void>;
}

export type AppendError = VersionConflictError | EventIdConflictError;

/**
 * The stream is not at the expected version, or is at it but its last event is not the
 * expected one (deleted and begun again): reload and decide again.
 */
export class VersionConflictError extends Error {
  override readonly name = "VersionConflictError";
  constructor(
    readonly streamId: StreamId,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(
      expected === actual
        ? `stream ${streamId} is at version ${actual}, but its last event is not the one expected: it was deleted and begun again`
        : `stream ${streamId} is at version ${actual}, expected ${String(expected)}`,
    );
  }
}

/** An event id is already stored with other content or at another place: a reused id, not a retry. */
export class EventIdConflictError extends Error {
  override readonly name = "EventIdConflictError";
  constructor(
    readonly streamId: StreamId,
    readonly eventId: string,
  ) {
    super(`event id ${eventId} is already stored in stream ${streamId} with different content`);
  }
}
