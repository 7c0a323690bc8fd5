// Everything the saga needs at run time, built from its settings: the runner
// with its lease, the active-span feed, the alert listing projector and the
// optional webhook. The composition root starts it after the projections and
// stops it before the command bus closes (the runner sends commands).

import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Sql } from "../database/open-database.js";
import type { EventStore } from "../event-store/event-store.js";
import type { TraceChangeFeed } from "../live/trace-change-feed.js";
import type { Logger } from "../log/logger.js";
import { PostgresSubscriptionLease } from "../subscription/postgres/postgres-subscription-lease.js";
import { ActiveSpanFeed } from "./active-span-feed.js";
import { queryAlerts, type AlertPage, type AlertQuery } from "./alert-listing.js";
import { AlertListingProjector } from "./alert-listing-projector.js";
import { AlertWebhook } from "./alert-webhook.js";
import type { MonitoringObserver } from "./monitoring-observer.js";
import type { MonitoringSettings } from "./monitoring-settings.js";
import { MONITORING_STREAM_ID } from "./monitoring-stream.js";
import { PostgresSagaSnapshotStore } from "./postgres-saga-snapshot-store.js";
import { SagaRunner, type MonitoringCommandSink } from "./saga-runner.js";

interface MonitoringRuntimeOptions {
  readonly settings: MonitoringSettings;
  readonly sql: Sql;
  readonly store: EventStore;
  readonly commands: MonitoringCommandSink;
  /** Notified for MONITORING_STREAM_ID when alerts are stored (wakes WatchAlerts). */
  readonly changes: TraceChangeFeed;
  readonly clock: () => bigint;
  readonly observer?: MonitoringObserver;
  readonly log: Logger;
}

export interface MonitoringRuntime {
  /** Undefined when monitoring is turned off. */
  readonly runner: SagaRunner | undefined;
  readonly feed: ActiveSpanFeed;
  readonly alertListing: AlertListingProjector | undefined;
  alerts(query: AlertQuery): Promise<AlertPage>;
  /** New trace events were committed here. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

export function createMonitoringRuntime(options: MonitoringRuntimeOptions): MonitoringRuntime {
  const { settings, sql, store, clock, changes } = options;
  const log = options.log.child({ component: "monitoring" });
  const feed = new ActiveSpanFeed();
  const alerts = (query: AlertQuery) => queryAlerts(sql, query);
  if (!settings.enabled) {
    return { runner: undefined, feed, alertListing: undefined, alerts, wake() {}, start() {}, stop: async () => {} };
  }
  const alertListing = new AlertListingProjector({ sql, store, clock, onError: (error) => log.error("alert listing projection failed; retrying", { error }) });
  let webhook: AlertWebhook | undefined;
  const runner = new SagaRunner({
    store,
    lease: new PostgresSubscriptionLease(sql, clock),
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    commands: options.commands,
    config: settings.saga,
    clock,
    tickIntervalMs: settings.tickIntervalMs,
    leaseMs: settings.leaseMs,
    observer: options.observer,
    feed,
    log,
    // 0 turns snapshots off, reading too: an operator who distrusts the stored one can say so.
    snapshots: settings.snapshotEveryEvents > 0 ? new PostgresSagaSnapshotStore(sql) : undefined,
    snapshotEveryEvents: settings.snapshotEveryEvents,
    onAlertsStored: () => {
      changes.notify(MONITORING_STREAM_ID);
      alertListing.wake();
      webhook?.wake();
    },
  });
  if (settings.webhookUrl !== "") webhook = new AlertWebhook({ url: settings.webhookUrl, store, isActive: () => runner.isLeader, log });
  return {
    runner,
    feed,
    alertListing,
    alerts,
    wake: () => runner.wake(),
    start() {
      runner.start();
      alertListing.start();
      webhook?.start();
    },
    async stop() {
      await webhook?.stop();
      await runner.stop();
      await alertListing.stop();
      feed.wakeAll();
    },
  };
}
