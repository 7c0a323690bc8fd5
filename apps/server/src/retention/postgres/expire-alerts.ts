// The statements of alert retention (alert-retention.ts): find alerts resolved
// before the cutoff at the old end of the monitoring stream, and delete each
// whole: its AlertRaised and AlertResolved events and its ListAlerts row.
//
// The stream is read from its oldest version up. A stream's recorded_at never
// decreases along its versions, and its events are written by transactions in
// version order, so the scan stops at the first event recorded at or after the
// cutoff, or lying at or past the log's horizon (a subscriber has not read it):
// everything after it is as new. The alert's raise came before its resolution,
// so it lies below it and is deleted with it. Open alerts are skipped, however old.

import { fromBinary } from "@bufbuild/protobuf";
import { AlertResolvedSchema } from "@traceledger/proto";
import { withoutNul } from "../../database/listed-text.js";
import type { Sql } from "../../database/open-database.js";
import type { GlobalCheckpoint } from "../../event-store/event-store.js";
import { uuidArray } from "../../event-store/postgres/sql-arrays.js";
import { MONITORING_STREAM_ID } from "../../events/reserved-streams.js";
import { alertEventId } from "../../monitoring/monitoring-stream.js";

const MONITORING_STREAM = Buffer.from(MONITORING_STREAM_ID, "hex");

/** A page of the monitoring stream's oldest events, as seen for retention. */
export interface AlertExpiryScan {
  /** The version the page ended at (the next page starts after it); `after` when it was empty. */
  readonly last: number;
  readonly scanned: number;
  /**
   * Why the scan stopped inside the page, if it did: an event recorded at or after the cutoff
   * or at the log's horizon ("cutoff"), or one a subscriber of the log has not read yet
   * ("unread"). Later events are as new.
   */
  readonly stop: "cutoff" | "unread" | undefined;
  /** Alerts whose resolution in the page was recorded before the cutoff. */
  readonly alertIds: readonly string[];
}

export interface AlertExpiryResult {
  readonly alerts: number;
  readonly events: number;
}

/**
 * Events of the monitoring stream after version `after`, up to `upTo`, `limit` of them. `horizon`
 * is the oldest checkpoint of the log's subscribers: an event at or past it ends the scan.
 */
export async function scanExpiredAlerts(sql: Sql, after: number, upTo: number, horizon: GlobalCheckpoint, cutoff: bigint, limit: number): Promise<AlertExpiryScan> {
  if (after >= upTo) return { last: after, scanned: 0, stop: undefined, alertIds: [] };
  const at = sql`(${horizon.transactionId.toString()}::xid8, ${horizon.position.toString()}::int8)`;
  const rows = await sql<Array<{ version: number; type: string; payload: Uint8Array; recorded_at: bigint; kept: boolean; unread: boolean }>>`
    select version, type, payload, recorded_at, (tx_id, position) >= ${at} as kept, (tx_id, position) > ${at} as unread
    from events
    where trace_id = ${MONITORING_STREAM} and version > ${after} and version <= ${upTo}
    order by version limit ${limit}`;
  const alertIds: string[] = [];
  for (const row of rows) {
    if (row.recorded_at >= cutoff) return { last: row.version, scanned: rows.length, stop: "cutoff", alertIds };
    // The event a checkpoint names was read, but is kept with what comes after it, as for traces.
    if (row.kept) return { last: row.version, scanned: rows.length, stop: row.unread ? "unread" : "cutoff", alertIds };
    // Only the id is read: a kind or unit this version does not know does not stop retention.
    if (row.type === "AlertResolved") alertIds.push(fromBinary(AlertResolvedSchema, row.payload).alertId);
  }
  return { last: rows.length === 0 ? after : rows[rows.length - 1]!.version, scanned: rows.length, stop: undefined, alertIds };
}

/**
 * Deletes the alerts' events (both, whatever their versions: a raise lies below its
 * resolution) and ListAlerts rows in one transaction, never the stream's last event:
 * the stream's version is its last event's, and appends go on from it.
 */
export async function deleteAlerts(sql: Sql, alertIds: readonly string[], upTo: number): Promise<AlertExpiryResult> {
  if (alertIds.length === 0) return { alerts: 0, events: 0 };
  const eventIds = alertIds.flatMap((alertId) => [alertEventId({ type: "AlertRaised", alertId }), alertEventId({ type: "AlertResolved", alertId })]);
  const listed = alertIds.map(withoutNul);
  return sql.begin(async (tx) => {
    const gone = await tx`
      delete from events
      where trace_id = ${MONITORING_STREAM} and event_id = any(${uuidArray(eventIds)}::uuid[]) and version <= ${upTo}
      returning type`;
    await tx`delete from monitoring_alerts where alert_id = any(${listed as string[]})`;
    return { alerts: gone.filter((row) => row.type === "AlertResolved").length, events: gone.length };
  }) as Promise<AlertExpiryResult>;
}
