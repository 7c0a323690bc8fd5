// Where trace reads get their inputs and keep their snapshots. PostgreSQL is the
// one implementation (postgres/); the seam keeps the reader free of SQL.

/** A stored view: a traceledger.v1.Trace at `version`, its running spans without duration. */
export interface ViewSnapshot {
  readonly version: number;
  /** When the event at `version` was recorded, Unix nanoseconds. */
  readonly recordedAt: bigint;
  readonly view: Uint8Array;
}

export interface ViewEvent {
  readonly version: number;
  readonly recordedAt: bigint;
  readonly type: string;
  readonly payload: Uint8Array;
}

export interface ViewSourcesQuery {
  readonly traceId: string;
  /** The version the reader already holds: only a snapshot and events past it are wanted. 0 for none. */
  readonly after: number;
  /** The highest version wanted; none means the newest. */
  readonly toVersion?: number;
  /** Only what was recorded at or before this time, Unix nanoseconds. */
  readonly recordedAtOrBefore?: bigint;
}

export interface ViewSources {
  /** The stream's version now; 0 when it does not exist. */
  readonly head: number;
  /**
   * When the event at `after` was recorded; undefined when there is none. A state the
   * reader holds at `after` with another time is of another stream under the same id
   * (a trace deleted by retention and begun again).
   */
  readonly afterRecordedAt?: bigint | undefined;
  /** The newest snapshot past `after` within the bounds, if any, of this stream (its time is that of the event at its version). */
  readonly snapshot: ViewSnapshot | undefined;
  /** The events past max(after, snapshot) within the bounds, in version order. */
  readonly events: readonly ViewEvent[];
}

export interface ViewStore {
  load(query: ViewSourcesQuery): Promise<ViewSources>;
  /** Stores a snapshot; one already stored for that version and format stays. */
  save(traceId: string, snapshot: ViewSnapshot): Promise<void>;
}
