// Feeds monitoring_alerts (ListAlerts) from the monitoring stream: one row per
// alert, open until its AlertResolved arrives. Like the trace listing, each
// slice is applied in one transaction with the projector's checkpoint (the
// stream version it reached), under a transaction-scoped advisory lock, so
// every replica can run it and the table never disagrees with the checkpoint.

import { listedText, withoutNul } from "../database/listed-text.js";
import type postgres from "postgres";
import type { Sql } from "../database/open-database.js";
import type { EventStore, StoredEvent } from "../event-store/event-store.js";
import { moveCheckpoint } from "../event-store/postgres/move-checkpoint.js";
import { BUSY, ProjectorLoop } from "../projections/projector-loop.js";
import { decodeAlertEvent } from "./alert-codec.js";
import { MONITORING_STREAM_ID } from "./monitoring-stream.js";

type Tx = postgres.TransactionSql<{ bigint: bigint }>;

export const ALERT_LISTING_SUBSCRIBER = "monitoring-alerts";
/** An arbitrary constant: the advisory lock of this projector ("tl-alrt"). */
const ALERT_LISTING_LOCK_KEY = "8389478356134409332";

interface AlertListingProjectorOptions {
  readonly sql: Sql;
  readonly store: EventStore;
  /** Events per transaction. Default 1,000. */
  readonly batchSize?: number;
  /** How often to look when nobody woke us (alerts stored by another replica). Default 500 ms. */
  readonly idleMs?: number;
  readonly clock: () => bigint;
  readonly onError?: (error: unknown) => void;
}

export class AlertListingProjector {
  private readonly batchSize: number;
  private readonly loop: ProjectorLoop;

  constructor(private readonly options: AlertListingProjectorOptions) {
    this.batchSize = options.batchSize ?? 1000;
    // Alerts come few at a time, after the saga stored them: a wake-up applies them at once.
    this.loop = new ProjectorLoop({ step: () => this.step(), batchSize: this.batchSize, idleMs: options.idleMs ?? 500, minIntervalMs: 0, onError: options.onError });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Applies slices until the stream has nothing more; waits for another projector holding the lock. */
  catchUp(): Promise<number> {
    return this.loop.catchUp();
  }

  private async step(): Promise<number> {
    const { store, sql, clock } = this.options;
    // The checkpoint is the stream version reached, kept in `position` (transaction id 0: one stream has one order).
    const from = await store.loadCheckpoint(ALERT_LISTING_SUBSCRIBER);
    const events = await store.readStream(MONITORING_STREAM_ID, { afterVersion: Number(from.position), limit: this.batchSize });
    if (events.length === 0) return 0;
    const to = { transactionId: 0n, position: BigInt(events[events.length - 1]!.version) };
    const applied = await sql.begin(async (tx) => {
      const [lock] = await tx<{ locked: boolean }[]>`select pg_try_advisory_xact_lock(${ALERT_LISTING_LOCK_KEY}::int8) as locked`;
      if (!lock?.locked) return false;
      if (!(await moveCheckpoint(tx, ALERT_LISTING_SUBSCRIBER, 0, from, to, clock()))) return false;
      await apply(tx, events);
      return true;
    });
    return applied ? events.length : BUSY;
  }
}

async function apply(tx: Tx, events: readonly StoredEvent[]): Promise<void> {
  const raised: Array<{ id: string; kind: string; svc: string; v: number; at: string; p: string }> = [];
  const resolved: Array<{ id: string; p: string }> = [];
  for (const stored of events) {
    const event = decodeAlertEvent(stored.type, stored.payload);
    const payload = Buffer.from(stored.payload).toString("hex");
    if (event.type === "AlertRaised") {
      raised.push({ id: withoutNul(event.alertId), kind: event.kind, svc: listedText(event.subject.service), v: stored.version, at: stored.recordedAt.toString(), p: payload });
    } else {
      resolved.push({ id: withoutNul(event.alertId), p: payload });
    }
  }
  // Raised before resolved: an alert raised and resolved within one slice ends up resolved.
  if (raised.length > 0) {
    await tx`
      insert into monitoring_alerts (alert_id, kind, service_name, state, raised_version, raised_recorded_at, raised)
      select r.id, r.kind, r.svc, 1, r.v, r.at::int8, decode(r.p, 'hex')
        from jsonb_to_recordset(${tx.json(raised)}::jsonb) as r(id text, kind text, svc text, v int, at text, p text)
      on conflict (alert_id) do nothing`;
  }
  if (resolved.length > 0) {
    await tx`
      update monitoring_alerts a set state = 2, resolved = decode(r.p, 'hex')
        from jsonb_to_recordset(${tx.json(resolved)}::jsonb) as r(id text, p text)
       where a.alert_id = r.id and a.resolved is null`;
  }
}
