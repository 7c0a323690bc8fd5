// Wires the OTLP exporter: the transport the configuration names, the sender's
// retries, the exporter, and the leased subscription that runs it on exactly one
// replica. start-traceledger.ts calls this when export is enabled.

import type { Sql } from "../database/open-database.js";
import type { EventStore } from "../event-store/event-store.js";
import type { Logger } from "../log/logger.js";
import { LeasedSubscription } from "../subscription/leased-subscription.js";
import { PostgresSubscriptionLease } from "../subscription/postgres/postgres-subscription-lease.js";
import { allObservers, exportLogObserver } from "./export-log-observer.js";
import { ExportSender } from "./export-sender.js";
import type { OtlpExportConfig } from "./otlp-export-config.js";
import type { OtlpExportObserver } from "./otlp-export-observer.js";
import { OtlpExportStats } from "./otlp-export-stats.js";
import { OtlpGrpcTransport } from "./otlp-grpc-transport.js";
import { OtlpHttpTransport } from "./otlp-http-transport.js";
import { OtlpTraceExporter } from "./otlp-trace-exporter.js";
import type { OtlpTransport } from "./otlp-transport.js";

/** The exporter's checkpoint and lease name. */
export const OTLP_EXPORT_SUBSCRIBER = "otlp-export";

export interface OtlpExport {
  /** This replica's counts (every replica has them; only the lease holder's move). */
  readonly stats: OtlpExportStats;
  /** New events were committed. */
  wake(): void;
  /** Stops after the request under way (if any) is settled; releases the lease. */
  stop(): Promise<void>;
}

interface StartOtlpExportOptions {
  readonly config: OtlpExportConfig;
  readonly sql: Sql;
  readonly store: EventStore;
  readonly log: Logger;
  readonly clock?: () => bigint;
  /** Where the exporter's lag goes (ServerMetrics has this method). */
  readonly lag?: { setSubscriberLag(subscriber: string, seconds: number): void };
  /** More observers of the exporter (metrics). */
  readonly observer?: OtlpExportObserver;
}

export function startOtlpExport(options: StartOtlpExportOptions): OtlpExport {
  const { config, log } = options;
  const transport: OtlpTransport =
    config.protocol === "grpc"
      ? new OtlpGrpcTransport({ endpoint: config.endpoint, headers: config.headers, timeoutMs: config.timeoutMs, compression: config.compression })
      : new OtlpHttpTransport({ url: config.endpoint, headers: config.headers, timeoutMs: config.timeoutMs, compression: config.compression });
  const stats = new OtlpExportStats();
  const observer = allObservers(stats, exportLogObserver(log), ...(options.observer ? [options.observer] : []));
  const exporter = new OtlpTraceExporter({
    store: options.store,
    sender: new ExportSender({ transport, backoff: { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs }, observer }),
    policy: config.sampling,
    maxBatchSpans: config.maxBatchSpans,
    maxRequestBytes: config.maxRequestBytes,
    observer,
  });
  const subscription = new LeasedSubscription({
    store: options.store,
    lease: new PostgresSubscriptionLease(options.sql),
    subscriberId: OTLP_EXPORT_SUBSCRIBER,
    handler: exporter,
    batchSize: 1000,
    idleMs: config.maxDelayMs,
    minIntervalMs: config.maxDelayMs,
    leaseTtlMs: config.leaseTtlMs,
    ...(options.clock ? { clock: options.clock } : {}),
    observer: {
      setSubscriberLag: (subscriber, seconds) => options.lag?.setSubscriberLag(subscriber, seconds),
      leaseClaimed: (_, claim) => log.info("otlp export: this replica exports", { endpoint: config.endpoint, protocol: config.protocol, token: claim.token }),
      leaseLost: (_, reason) => log.info("otlp export: this replica no longer exports", { reason }),
      failed: (_, error) => log.error("otlp export failed; retrying", { error }),
    },
  });
  subscription.start();
  log.info("otlp export enabled", { endpoint: config.endpoint, protocol: config.protocol, compression: config.compression, holder: subscription.holder });
  return {
    stats,
    wake: () => subscription.wake(),
    stop: async () => {
      await subscription.stop();
      await transport.close();
    },
  };
}
