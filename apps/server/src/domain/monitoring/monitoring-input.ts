// What the saga is fed: every trace event in log order, and timer ticks.
// Time is only ever an input, so a replay of the same inputs decides the same.

import type { SagaTraceEvent } from "./saga-trace-event.js";

/** One event of the trace log, as the subscriber read it. */
export interface TraceEventRecorded {
  readonly type: "TraceEventRecorded";
  /** The stream id: 32 lowercase hex characters. */
  readonly traceId: string;
  /** A TraceEventCase, or the narrower reading of it the runner decodes. */
  readonly event: SagaTraceEvent;
  /** When the store recorded it, Unix nanoseconds. */
  readonly recordedAt: bigint;
  /** Its version in the trace's stream: a CloseTrace names the last one the saga read. */
  readonly version: number;
}

/**
 * The passing of time, Unix nanoseconds. `now` is a watermark: every event
 * recorded at or before it has already been given to the saga. Otherwise a
 * span whose end is committed but not yet read would look slow or orphaned.
 * So the runner ticks at the read's horizon, not at the wall clock, when a
 * transaction still running held its read of the log back (saga-runner.ts).
 */
export interface Tick {
  readonly type: "Tick";
  readonly now: bigint;
}

export type MonitoringInput = TraceEventRecorded | Tick;
