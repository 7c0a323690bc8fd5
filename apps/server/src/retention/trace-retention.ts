// Trace retention (TRACELEDGER_RETENTION): traces whose last event was recorded
// longer ago than the retention period are deleted whole, events, listing rows
// and view snapshots, so the log, the listing and the saga's rebuild on a
// takeover stay bounded. Off unless configured: the log is the product's record.
//
// Nothing a subscriber of the trace log has not read yet is deleted: a trace is
// kept while any of its events lies at or past the oldest checkpoint of the
// listing projector, the monitoring saga and the OTLP exporter (each that this
// replica runs must have one; one stored by a subscriber that no replica runs
// any more, export turned off, holds retention back too: see docs/operations.md).
// A trace expires by its last event, not its start, so a long trace that is
// still written to stays; a span still running when its trace expires is gone
// with it (the retention period must outlast the longest span).
//
// Every replica runs the job; their deletes serialize on the lock the delete
// takes (expire-traces.ts), and the second finds nothing left to do.

import type { Sql } from "../database/open-database.js";
import { START_OF_LOG, type GlobalCheckpoint } from "../event-store/event-store.js";
import type { Logger } from "../log/logger.js";
import { MONITORING_SUBSCRIBER } from "../monitoring/saga-runner.js";
import { OTLP_EXPORT_SUBSCRIBER } from "../otlp-export/start-otlp-export.js";
import { TRACE_LISTING_SUBSCRIBER } from "../projections/postgres/trace-listing-projector.js";
import { oldestCheckpoint } from "./oldest-checkpoint.js";
import { RetentionLoop, retentionIntervalMs } from "./retention-loop.js";
import { deleteExpiredTraces, recordedAfter, scanForExpiry, type ExpiryResult } from "./postgres/expire-traces.js";

export interface TraceRetentionOptions {
  readonly sql: Sql;
  /** How long a trace is kept after its last event, in nanoseconds. */
  readonly retentionNs: bigint;
  /** The subscribers of the trace log whose checkpoints bound what may go; those this replica runs. */
  readonly subscribers: readonly string[];
  /** Unix nanoseconds, on the store's clock (that of recorded_at). */
  readonly clock: () => bigint;
  /** Time between passes. Default: a tenth of the retention, between 1 s and 10 min. */
  readonly intervalMs?: number;
  /** Events of the log looked at per page. Default 5,000. */
  readonly scanPage?: number;
  /** Traces deleted per transaction (appends wait meanwhile). Default 50. */
  readonly deleteBatch?: number;
  /** How long a delete waits for the lock (appends under way, a vacuum) before the pass gives up until the next. Default 200 ms. */
  readonly lockTimeoutMs?: number;
  readonly log?: Logger;
  readonly onDeleted?: (result: ExpiryResult) => void;
}

/** Subscribers of the trace log that may hold retention back even when this replica does not run them. */
export const TRACE_LOG_SUBSCRIBERS: readonly string[] = [TRACE_LISTING_SUBSCRIBER, MONITORING_SUBSCRIBER, OTLP_EXPORT_SUBSCRIBER];

export interface RetentionPass extends ExpiryResult {
  /**
   * The subscriber that holds expired traces back, if one does: its checkpoint (or the start
   * of the log, when it has none) is at an event recorded before the cutoff.
   */
  readonly heldBackBy: string | undefined;
  /** Whether the pass stopped early because the lock on `events` was not granted in time. */
  readonly busy: boolean;
}

/** The least rest between two deletes, for the appends that waited. */
const MIN_REST_MS = 5;

export class TraceRetention {
  private readonly loop: RetentionLoop;

  constructor(private readonly options: TraceRetentionOptions) {
    this.loop = new RetentionLoop(
      () => this.intervalMs,
      () => this.passAndLog(),
      // A lock that was not granted in time, a lost connection: the next pass tries again.
      (error) => options.log?.warn("retention: a pass failed; the next one tries again", { error }),
    );
  }

  get intervalMs(): number {
    return this.options.intervalMs ?? retentionIntervalMs(this.options.retentionNs);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: every expired trace below the horizon deleted, a batch at a time. */
  async pass(): Promise<RetentionPass> {
    const { sql, clock, retentionNs } = this.options;
    const cutoff = clock() - retentionNs;
    const { horizon, heldBy } = await this.horizon();
    const page = this.options.scanPage ?? 5000;
    const batch = this.options.deleteBatch ?? 50;
    let traces = 0;
    let events = 0;
    let after = START_OF_LOG;
    for (;;) {
      if (this.loop.stopped) break;
      const scan = await scanForExpiry(sql, after, horizon, cutoff, page);
      for (let i = 0; i < scan.candidates.length && !this.loop.stopped; i += batch) {
        const started = performance.now();
        const deleted = await deleteExpiredTraces(sql, scan.candidates.slice(i, i + batch), cutoff, horizon, this.options.lockTimeoutMs ?? 200);
        // Something holds the table longer than appends do (a vacuum, a long transaction): later.
        if (deleted === "busy") return { traces, events, heldBackBy: undefined, busy: true };
        traces += deleted.traces;
        events += deleted.events;
        if (deleted.traces > 0) this.options.onDeleted?.(deleted);
        // Appends waited while it ran: they get at least as long before the next delete.
        await this.loop.sleep.sleep(Math.max(MIN_REST_MS, performance.now() - started));
      }
      if (scan.reachedCutoff) return { traces, events, heldBackBy: undefined, busy: false };
      if (scan.last === undefined || scan.scanned < page) break;
      after = scan.last;
    }
    // The pass ran into the horizon: does a subscriber stand before an event already expired?
    const at = heldBy === undefined ? undefined : await recordedAfter(sql, horizon);
    return { traces, events, heldBackBy: at !== undefined && at < cutoff ? heldBy : undefined, busy: false };
  }

  /** The oldest checkpoint of the trace log's subscribers (START_OF_LOG if one this replica runs has none), and whose it is. */
  private async horizon(): Promise<{ horizon: GlobalCheckpoint; heldBy: string | undefined }> {
    const { checkpoint, heldBy } = await oldestCheckpoint(this.options.sql, this.options.subscribers, TRACE_LOG_SUBSCRIBERS);
    return { horizon: checkpoint ?? START_OF_LOG, heldBy };
  }

  private async passAndLog(): Promise<void> {
    const log = this.options.log;
    const result = await this.pass();
    if (result.traces > 0) log?.info("retention: expired traces deleted", { traces: result.traces, events: result.events });
    if (result.busy) log?.debug("retention: the events table was busy (a vacuum, a long transaction); the next pass goes on");
    this.loop.heldBack(result.heldBackBy, (subscriber) => log?.warn("retention: expired traces are kept because a subscriber of the log has not read them yet", { subscriber }));
  }
}
