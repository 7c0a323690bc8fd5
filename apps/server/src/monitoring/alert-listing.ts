// Reads monitoring_alerts for ListAlerts: newest first (by the stream version
// of the AlertRaised), keyset paging, and the stream version the table
// reflects, read in one snapshot with the rows.

import { listedText } from "../database/listed-text.js";
import type { Sql } from "../database/open-database.js";
import { ALERT_LISTING_SUBSCRIBER } from "./alert-listing-projector.js";

export interface AlertQuery {
  /** 1 open, 2 resolved, 0 both (AlertState numbers). */
  readonly state: number;
  /** A domain kind name ("slow_span"), or "" for every kind. */
  readonly kind: string;
  readonly service: string;
  /** Only alerts raised before this stream version; 0 for no bound. */
  readonly beforeVersion: number;
  readonly limit: number;
}

export interface AlertRow {
  readonly raisedVersion: number;
  readonly raisedRecordedAt: bigint;
  readonly raised: Uint8Array;
  readonly resolved: Uint8Array | null;
}

export interface AlertPage {
  readonly rows: AlertRow[];
  /** The monitoring stream version the table reflects. */
  readonly asOfVersion: bigint;
}

export async function queryAlerts(sql: Sql, q: AlertQuery): Promise<AlertPage> {
  return sql.begin("isolation level repeatable read read only", async (tx) => {
    const [checkpoint] = await tx<{ position: bigint }[]>`
      select position from subscriber_checkpoints where subscriber_id = ${ALERT_LISTING_SUBSCRIBER} and shard = 0`;
    const rows = await tx<{ raised_version: number; raised_recorded_at: bigint; raised: Buffer; resolved: Buffer | null }[]>`
      select raised_version, raised_recorded_at, raised, resolved
        from monitoring_alerts
       where true
         ${q.state === 0 ? tx`` : tx`and state = ${q.state}`}
         ${q.kind === "" ? tx`` : tx`and kind = ${q.kind}`}
         ${q.service === "" ? tx`` : tx`and service_name = ${listedText(q.service)}`}
         ${q.beforeVersion === 0 ? tx`` : tx`and raised_version < ${q.beforeVersion}`}
       order by raised_version desc
       limit ${q.limit}`;
    return {
      asOfVersion: checkpoint ? BigInt(checkpoint.position) : 0n,
      rows: rows.map((r) => ({
        raisedVersion: r.raised_version,
        raisedRecordedAt: BigInt(r.raised_recorded_at),
        raised: new Uint8Array(r.raised),
        resolved: r.resolved === null ? null : new Uint8Array(r.resolved),
      })),
    };
  });
}
