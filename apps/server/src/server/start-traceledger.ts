// The composition root: database, event store, command bus, projections and
// both doors, started in order and stopped in reverse. main.ts adds the
// process concerns (argv, signals, exit codes); tests start it in-process.

import { Code } from "@connectrpc/connect";
import { withErrorInfo } from "../rpc/rpc-error.js";
import { SHUTTING_DOWN } from "../rpc/transport/end-stream-on-shutdown.js";
import { randomUUID } from "node:crypto";
import { MonitoringService, TracingService } from "@traceledger/proto";
import { TraceCommandBus } from "../commands/trace-command-bus.js";
import type { ServerConfig } from "../config/server-config.js";
import { dropConnections, openDatabase } from "../database/open-database.js";
import { databaseReadiness } from "./database-readiness.js";
import { StreamBudget, withStreamBudget } from "./stream-budget.js";
import { PostgresEventStore } from "../event-store/postgres/postgres-event-store.js";
import { rebaseRestoredLog } from "../event-store/postgres/rebase-restored-log.js";
import { migrate } from "../event-store/postgres/migrate.js";
import { systemClock } from "../event-store/rules.js";
import { postgresStreamHeads } from "../live/postgres-stream-heads.js";
import { TraceChangeFeed } from "../live/trace-change-feed.js";
import type { Logger } from "../log/logger.js";
import { startOtlpExport, type OtlpExport } from "../otlp-export/start-otlp-export.js";
import { createMonitoringRuntime, type MonitoringRuntime } from "../monitoring/monitoring-runtime.js";
import { logReadWindow } from "./log-read-window.js";
import { CommandBusMetrics } from "../metrics/command-bus-metrics.js";
import { metricsRoute } from "../metrics/metrics-route.js";
import { otlpExportMetrics } from "../metrics/otlp-export-metrics.js";
import { ServerMetrics } from "../metrics/server-metrics.js";
import { createPostgresTraceListing } from "../projections/postgres/postgres-trace-listing.js";
import { TRACE_LISTING_SUBSCRIBER, TraceListingProjector } from "../projections/postgres/trace-listing-projector.js";
import { createMonitoringService } from "../rpc/monitoring-service.js";
import { readIngestBatchLazily } from "../rpc/ingest/read-ingest-batch.js";
import { createTracingService } from "../rpc/tracing-service.js";
import { createTraceReader } from "../trace-reads/create-trace-reader.js";
import { startServers } from "../rpc/transport/serve.js";
import { serviceRegistration } from "../rpc/transport/service-registration.js";
import { withCallLogging } from "./call-logging.js";
import { OtlpTraceService } from "@traceledger/proto/otlp";
import { otlpTracesRoute } from "../otlp-ingest/otlp-http-route.js";
import { readExportRequestLazily } from "../otlp-ingest/export-request-bytes.js";
import { OtlpIngest } from "../otlp-ingest/otlp-ingest.js";
import { createOtlpTraceService } from "../otlp-ingest/otlp-trace-service.js";
import { AlertRetention } from "../retention/alert-retention.js";
import { TraceRetention } from "../retention/trace-retention.js";
import { ALERT_LISTING_SUBSCRIBER } from "../monitoring/alert-listing-projector.js";
import { ALERT_WEBHOOK_SUBSCRIBER } from "../monitoring/alert-webhook.js";
import { MONITORING_SUBSCRIBER } from "../monitoring/saga-runner.js";
import { OTLP_EXPORT_SUBSCRIBER } from "../otlp-export/start-otlp-export.js";

export interface Traceledger {
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly projector: TraceListingProjector;
  /** What GET /metrics serves; background workers (the saga runner) report into it. */
  readonly metrics: ServerMetrics;
  /** The OTLP exporter, when export is enabled (see otlp-export/otlp-export-config.ts). */
  readonly otlpExport: OtlpExport | undefined;
  /** The DistributedTracingSaga's runner, feeds and alert listing. */
  readonly monitoring: MonitoringRuntime;
  /** Graceful: stop accepting, drain calls and commands, close watchers, stop PostgreSQL. */
  stop(): Promise<void>;
}

/** What startTraceledger throws when `interrupted` aborted: it stopped what it had started. */
export class StartInterrupted extends Error {
  override readonly name = "StartInterrupted";
  constructor() {
    super("start-up was interrupted");
  }
}

interface StartOptions {
  /**
   * Aborted to stop while still starting (a signal during start-up): start-up stops what it
   * started, the embedded PostgreSQL included, and throws StartInterrupted. An embedded
   * PostgreSQL that is starting is let finish its start first, so that it can be stopped.
   */
  readonly interrupted?: AbortSignal;
}

export async function startTraceledger(config: ServerConfig, log: Logger, options: StartOptions = {}): Promise<Traceledger> {
  const clock = systemClock;
  const interrupted = options.interrupted;
  if (interrupted?.aborted) throw new StartInterrupted();
  const database = await openDatabase({
    databaseUrl: config.databaseUrl ?? "",
    embedded: { dataDir: config.dataDir },
    ...(interrupted ? { signal: interrupted } : {}),
  }).catch((error: unknown) => {
    throw interrupted?.aborted ? new StartInterrupted() : error;
  });
  log.info("database ready", { database: database.description });
  if (database.embedded?.stoppedOrphan !== undefined) {
    log.warn("stopped a PostgreSQL that an earlier traceledger left running in the data folder when it died", { pid: database.embedded.stoppedOrphan });
  }
  // The database steps of start-up may wait long (migrations wait for another replica's):
  // an interrupt stops waiting for them and cuts the client's connections, so PostgreSQL
  // ends their sessions and rolls their transactions back.
  const cut = () => void database.sql.end({ timeout: 0 }).catch(() => undefined);
  interrupted?.addEventListener("abort", cut, { once: true });
  const step = <T>(work: () => Promise<T>): Promise<T> => {
    if (interrupted?.aborted) return Promise.reject(new StartInterrupted());
    const running = work();
    if (interrupted === undefined) return running;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new StartInterrupted());
      interrupted.addEventListener("abort", onAbort, { once: true });
      running
        .then(resolve, (error: unknown) => reject(interrupted.aborted ? new StartInterrupted() : error))
        .finally(() => interrupted.removeEventListener("abort", onAbort));
    });
  };
  try {
    const migrations = await step(() => migrate(database.sql));
    if (migrations.applied.length > 0) log.info("migrations applied", { count: migrations.applied.length });
    const rebased = await step(() => rebaseRestoredLog(database.sql));
    if (rebased > 0) log.warn("the event log came from another PostgreSQL cluster: its transaction ids were reset so subscribers read on", { events: rebased });

    const metrics = new ServerMetrics();
    const store = new PostgresEventStore(database.sql, {
      clock,
      readAllWindow: logReadWindow(config),
      onReadAll: (events, fromWindow) => metrics.logRead(events, fromWindow),
    });
    // Watchers learn of other replicas' writes every second, by one shared poll.
    const changes = new TraceChangeFeed({ heads: postgresStreamHeads(database.sql), pollMs: 1000 });
    const projector = new TraceListingProjector({
      sql: database.sql,
      store,
      clock,
      onError: (error) => log.error("trace listing projection failed; retrying", { error }),
      onLag: (seconds) => metrics.setSubscriberLag(TRACE_LISTING_SUBSCRIBER, seconds),
    });
    const monitoring = createMonitoringRuntime({
      settings: config.monitoring,
      sql: database.sql,
      store,
      // The saga's CloseOrphanedSpan and CloseTrace go through the same bus as every command.
      // The bus (below) wakes the saga and the saga submits to the bus; the closure breaks the
      // cycle, and it only runs after monitoring.start(), when `bus` exists.
      commands: { submit: (command) => bus.submit(command) },
      changes,
      clock,
      observer: metrics,
      log,
    });
    let otlpExport: OtlpExport | undefined;
    const bus = new TraceCommandBus({
      store,
      clock,
      newId: randomUUID,
      limits: {
        countLimit: config.attributeCountLimit,
        valueLengthLimit: config.attributeValueLengthLimit,
        eventCountLimit: config.eventCountLimit,
        linkCountLimit: config.linkCountLimit,
      },
      // Events GetTraceEvents and WatchTrace could not send within it are refused (EVENT_TOO_LARGE).
      maxMessageBytes: config.maxMessageBytes,
      observer: new CommandBusMetrics(metrics),
      storeDeadlineMs: config.appendDeadlineMs,
      // With retention, a trace idle for its period may be deleted and begun again elsewhere.
      ...(config.retentionNs === undefined ? {} : { cacheTrustNs: config.retentionNs / 2n }),
      // Most likely a connection the network lost. All of the pool's are dropped: postgres.js
      // tells which backend (pid) a pending statement went to, not which socket, and under
      // TLS the socket's bytes do not say either. Nor is a lost connection often alone (a
      // failover loses every one, idle ones too, each of which would hold its next statement
      // for another deadline). What else was in flight fails once; its owners retry.
      onStoreDeadline: () => {
        log.warn("the database left an append unanswered past its deadline: its calls were told to retry, and the database connections were dropped", { deadlineMs: config.appendDeadlineMs });
        dropConnections(database.sql, `the database left an append unanswered for ${config.appendDeadlineMs} ms`);
      },
      onAppended: (traceId) => {
        changes.notify(traceId);
        projector.wake();
        otlpExport?.wake();
        monitoring.wake();
      },
    });
    const traces = createTraceReader(database.sql, {
      clock,
      cacheBytes: config.viewCacheBytes,
      snapshotEvery: config.viewSnapshotEvery,
      onError: (error) => log.error("storing a trace view snapshot failed", { error }),
    });
    const shutdown = new AbortController();
    const tracing = createTracingService({
      bus,
      store,
      changes,
      listing: createPostgresTraceListing(database.sql, clock),
      traces,
      clock,
      shutdown: shutdown.signal,
      maxBatchCommands: config.maxBatchCommands,
      maxAnswerBytes: config.maxMessageBytes,
    });
    const otlpIngest = new OtlpIngest({ submitAll: (commands) => bus.submitAll(commands), maxPendingSpans: config.otlpMaxPendingSpans, maxMessageBytes: config.maxMessageBytes });
    const streams = new StreamBudget(config.maxOpenStreams);
    // Not cut short (binding is quick): ports bound meanwhile must be closed again, below.
    const servers = await startServers({
      host: config.host,
      grpcPort: config.grpcPort,
      httpPort: config.httpPort,
      maxMessageBytes: config.maxMessageBytes,
      cors: { allowedOrigins: config.corsAllowedOrigins },
      shutdownError: () => withErrorInfo(Code.Unavailable, "SHUTTING_DOWN", SHUTTING_DOWN),
      services: [
        serviceRegistration(TracingService, withCallLogging(TracingService, withStreamBudget(TracingService, tracing, streams), log), { grpcRequestReaders: { IngestBatch: readIngestBatchLazily } }),
        // OTLP's specification: receivers of OTLP/JSON must ignore fields with unknown names.
        serviceRegistration(OtlpTraceService, withCallLogging(OtlpTraceService, createOtlpTraceService(otlpIngest), log), {
          grpcRequestReaders: { Export: readExportRequestLazily },
          ignoreUnknownJsonFields: true,
          malformedRequestReason: "MALFORMED_OTLP",
        }),
        serviceRegistration(
          MonitoringService,
          withCallLogging(
            MonitoringService,
            withStreamBudget(
              MonitoringService,
              createMonitoringService({
                runner: monitoring.runner,
                feed: monitoring.feed,
                store,
                alerts: (query) => monitoring.alerts(query),
                changes,
                clock,
                shutdown: shutdown.signal,
                maxAnswerBytes: config.maxMessageBytes,
              }),
              streams,
            ),
            log,
          ),
        ),
      ],
      plainRoutes: [metricsRoute(metrics), otlpTracesRoute(otlpIngest, { maxBodyBytes: config.maxMessageBytes, log })],
      ready: () => databaseReadiness(database.probe),
      onInternalError: (error, procedure, requestId) => log.error("internal error", { procedure, ...(requestId === undefined ? {} : { request_id: requestId }), error }),
    });
    if (interrupted?.aborted) {
      await servers.close(0);
      throw new StartInterrupted();
    }
    // From here start-up cannot be interrupted (nothing below waits); a signal now is a stop.
    interrupted?.removeEventListener("abort", cut);
    // Only once the ports are bound: a start that fails there (a port in use) must not
    // leave the saga holding its lease, or log its retries over the real cause.
    projector.start();
    monitoring.start();
    servers.setServing(true);
    if (config.otlpExport.enabled) {
      otlpExport = startOtlpExport({ config: config.otlpExport, sql: database.sql, store, log, clock, lag: metrics, observer: otlpExportMetrics(metrics) });
    }
    // The readers of the log on this replica: retention deletes nothing they have not read.
    const logSubscribers = [
      TRACE_LISTING_SUBSCRIBER,
      ...(config.monitoring.enabled ? [MONITORING_SUBSCRIBER] : []),
      ...(config.otlpExport.enabled ? [OTLP_EXPORT_SUBSCRIBER] : []),
    ];
    const retention =
      config.retentionNs === undefined
        ? undefined
        : new TraceRetention({
            sql: database.sql,
            retentionNs: config.retentionNs,
            subscribers: logSubscribers,
            clock,
            log,
            onDeleted: ({ traces: deleted, events }) => metrics.tracesDeleted(deleted, events),
          });
    retention?.start();
    const alertRetention =
      config.alertRetentionNs === undefined
        ? undefined
        : new AlertRetention({
            sql: database.sql,
            store,
            retentionNs: config.alertRetentionNs,
            logSubscribers,
            streamReaders: [
              ...(config.monitoring.enabled ? [ALERT_LISTING_SUBSCRIBER] : []),
              ...(config.monitoring.enabled && config.monitoring.webhookUrl !== "" ? [ALERT_WEBHOOK_SUBSCRIBER] : []),
            ],
            clock,
            log,
            onDeleted: ({ alerts }) => metrics.alertsDeleted(alerts),
          });
    alertRetention?.start();

    let stopping: Promise<void> | undefined;
    return {
      grpcAddress: servers.grpcAddress,
      httpAddress: servers.httpAddress,
      projector,
      metrics,
      otlpExport,
      monitoring,
      stop: () =>
        (stopping ??= (async () => {
          shutdown.abort();
          changes.wakeAll();
          await servers.close(config.shutdownGraceMs);
          await retention?.stop();
          await alertRetention?.stop();
          // Before the bus closes: a leader's last commands go through it.
          await monitoring.stop();
          await traces.close();
          await bus.close();
          await projector.stop();
          await otlpExport?.stop();
          await database.close();
        })()),
    };
  } catch (error) {
    interrupted?.removeEventListener("abort", cut);
    await database.close();
    throw error;
  }
}
