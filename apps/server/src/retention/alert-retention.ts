// Alert retention (TRACELEDGER_ALERT_RETENTION, by default TRACELEDGER_RETENTION):
// an alert resolved longer ago than the period is deleted whole, its two events
// of the monitoring stream and its ListAlerts row, so alerts do not grow the
// database for ever while the traces they name are deleted. An open alert stays,
// however old.
//
// Nothing a reader has not read goes: the ListAlerts projector and the webhook
// (their checkpoints are versions of the stream), and the log's subscribers (an
// alert event at or past their oldest checkpoint ends the pass), each that this
// replica runs must have a checkpoint, as for traces. The stream's last event
// is never deleted: its version is the stream's, and appends go on from it.
//
// Readers from an old version (WatchAlerts resumed, a rebuild of the saga) find
// deleted alerts gone, raise and resolution together: the saga's rebuild lets go
// of an alert it holds open whose raise is gone (saga-runner.ts), since only
// resolved alerts are deleted.

import type { Sql } from "../database/open-database.js";
import { START_OF_LOG, type EventStore } from "../event-store/event-store.js";
import { MONITORING_STREAM_ID } from "../events/reserved-streams.js";
import type { Logger } from "../log/logger.js";
import { ALERT_LISTING_SUBSCRIBER } from "../monitoring/alert-listing-projector.js";
import { ALERT_WEBHOOK_SUBSCRIBER } from "../monitoring/alert-webhook.js";
import { oldestCheckpoint } from "./oldest-checkpoint.js";
import { deleteAlerts, scanExpiredAlerts, type AlertExpiryResult } from "./postgres/expire-alerts.js";
import { RetentionLoop, retentionIntervalMs } from "./retention-loop.js";
import { TRACE_LOG_SUBSCRIBERS } from "./trace-retention.js";

export interface AlertRetentionOptions {
  readonly sql: Sql;
  /** The monitoring stream's version (its last event is never deleted). */
  readonly store: Pick<EventStore, "streamVersion">;
  /** How long an alert is kept after its resolution, in nanoseconds. */
  readonly retentionNs: bigint;
  /** The subscribers of the log this replica runs (their checkpoints bound what may go). */
  readonly logSubscribers: readonly string[];
  /** The readers of the monitoring stream this replica runs: the ListAlerts projector, the webhook. */
  readonly streamReaders: readonly string[];
  /** Unix nanoseconds, on the store's clock (that of recorded_at). */
  readonly clock: () => bigint;
  /** Time between passes. Default: a tenth of the retention, between 1 s and 10 min. */
  readonly intervalMs?: number;
  /** Events of the stream looked at per page. Default 1,000. */
  readonly scanPage?: number;
  readonly log?: Logger;
  readonly onDeleted?: (result: AlertExpiryResult) => void;
}

export interface AlertRetentionPass extends AlertExpiryResult {
  /** The reader that holds expired alerts back, if one does. */
  readonly heldBackBy: string | undefined;
}

/** Readers of the monitoring stream that may hold retention back even when this replica does not run them. */
const STREAM_READERS: readonly string[] = [ALERT_LISTING_SUBSCRIBER, ALERT_WEBHOOK_SUBSCRIBER];

export class AlertRetention {
  private readonly loop: RetentionLoop;

  constructor(private readonly options: AlertRetentionOptions) {
    this.loop = new RetentionLoop(
      () => options.intervalMs ?? retentionIntervalMs(options.retentionNs),
      () => this.passAndLog(),
      (error) => options.log?.warn("retention: a pass over the alerts failed; the next one tries again", { error }),
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: every alert resolved before the cutoff and read by everyone, deleted a page at a time. */
  async pass(): Promise<AlertRetentionPass> {
    const { sql, clock, retentionNs } = this.options;
    const cutoff = clock() - retentionNs;
    const log = await oldestCheckpoint(sql, this.options.logSubscribers, TRACE_LOG_SUBSCRIBERS);
    const stream = await oldestCheckpoint(sql, this.options.streamReaders, STREAM_READERS);
    const head = await this.options.store.streamVersion(MONITORING_STREAM_ID);
    const read = stream.checkpoint === undefined ? head : Number(stream.checkpoint.position);
    const upTo = Math.min(head - 1, read);
    const page = this.options.scanPage ?? 1000;
    let alerts = 0;
    let events = 0;
    for (let after = 0; !this.loop.stopped; ) {
      const scan = await scanExpiredAlerts(sql, after, upTo, log.checkpoint ?? START_OF_LOG, cutoff, page);
      const deleted = await deleteAlerts(sql, scan.alertIds, upTo);
      alerts += deleted.alerts;
      events += deleted.events;
      if (deleted.alerts > 0) this.options.onDeleted?.(deleted);
      if (scan.stop === "cutoff") return { alerts, events, heldBackBy: undefined };
      if (scan.stop === "unread") return { alerts, events, heldBackBy: log.heldBy };
      if (scan.scanned < page || scan.last >= upTo) break;
      after = scan.last;
    }
    // The pass ran into what a reader of the stream has read: does it stand before an expired
    // alert (a resolution; an old open raise is no reason)? One page past it says.
    if (read >= head - 1) return { alerts, events, heldBackBy: undefined };
    const beyond = await scanExpiredAlerts(sql, upTo, head - 1, log.checkpoint ?? START_OF_LOG, cutoff, page);
    return { alerts, events, heldBackBy: beyond.alertIds.length > 0 ? stream.heldBy : undefined };
  }

  private async passAndLog(): Promise<void> {
    const log = this.options.log;
    const result = await this.pass();
    if (result.alerts > 0) log?.info("retention: resolved alerts deleted", { alerts: result.alerts, events: result.events });
    this.loop.heldBack(result.heldBackBy, (reader) => log?.warn("retention: expired alerts are kept because a reader has not read them yet", { reader }));
  }
}
