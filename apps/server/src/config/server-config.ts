// Configuration from the environment, validated once at start-up. Names are
// the ones users already know (DATABASE_URL, TRACING_*, OTEL_*) where they
// apply, TRACELEDGER_* otherwise. A bad value stops the server with a message
// naming the variable, what it got and what it accepts.

import { isIP } from "node:net";
import { parseAllowedOrigins } from "../rpc/transport/cors.js";
import { loadOtlpExportConfig, OTLP_EXPORT_SETTINGS, type OtlpExportConfig } from "../otlp-export/otlp-export-config.js";
import { DEFAULT_DATA_DIR } from "../database/embedded-database.js";
import { loadMonitoringSettings, MONITORING_SETTINGS, type MonitoringSettings } from "../monitoring/monitoring-settings.js";
import { databaseUrlProblem } from "./database-url.js";
import { isDecimal, isWholeNumber, parseBoolean } from "./setting-values.js";

export interface ServerConfig {
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Origins whose pages may call the HTTP port from a browser (CORS); ["*"] for any; empty for none. */
  readonly corsAllowedOrigins: readonly string[];
  /** External PostgreSQL; when absent the server starts an embedded one. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** How long the store work of a write (reading its trace, appending) may go unanswered before its callers are told to retry and the database connections are dropped. */
  readonly appendDeadlineMs: number;
  readonly tracingEnabled: boolean;
  readonly sampleRate: number;
  readonly serviceName: string;
  readonly attributeCountLimit: number;
  readonly attributeValueLengthLimit: number;
  /** The most events a running span takes, and separately the most errors. */
  readonly eventCountLimit: number;
  /** The most links a span keeps. */
  readonly linkCountLimit: number;
  readonly maxMessageBytes: number;
  readonly maxBatchCommands: number;
  /** Server streams (WatchTrace, WatchActiveSpans, WatchAlerts) open at once in the process. */
  readonly maxOpenStreams: number;
  /** OTLP ingest: spans waiting to be stored, across exports, before new exports are told to retry later. */
  readonly otlpMaxPendingSpans: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  /** OTLP export to a collector: whether, where, how, and what (otlp-export/otlp-export-config.ts). */
  readonly otlpExport: OtlpExportConfig;
  /** The DistributedTracingSaga: thresholds, tick, lease, webhook (monitoring/monitoring-settings.ts). */
  readonly monitoring: MonitoringSettings;
  /** GetTrace's in-process cache of recently read views, in bytes; 0 turns it off. */
  readonly viewCacheBytes: number;
  /** GetTrace stores a view snapshot every this many versions of a read trace; 0 stores none. */
  readonly viewSnapshotEvery: number;
  /** How long a trace is kept after its last event, in nanoseconds; undefined keeps every trace. */
  readonly retentionNs: bigint | undefined;
  /** How long a resolved alert is kept after its resolution, in nanoseconds; undefined keeps every alert. */
  readonly alertRetentionNs: bigint | undefined;
  /** Settings that are valid but likely not what was meant, to log at start-up. */
  readonly warnings: readonly string[];
}

export type LogLevel = "debug" | "info" | "warn" | "error";
const LOG_LEVELS: readonly string[] = ["debug", "info", "warn", "error"] satisfies LogLevel[];

interface Setting {
  readonly name: string;
  readonly default: string;
  readonly help: string;
}

/** A DNS name (RFC 1123 labels), such as "localhost" or "tl.internal"; what a listen address may be besides an IP. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/**
 * Labels of digits only: meant as an IPv4 address, never a host name (no top-level domain is
 * numeric). One that isIP refuses (256.1.1.1, 127.1, 010.0.0.1) would otherwise fail at bind
 * with "Name resolution failed", or be read by getaddrinfo's inet_aton in its own way.
 */
const NUMERIC_LABELS = /^\d+(?:\.\d+)*$/;

/** Every variable the server reads, in the order --help lists them. */
export const SETTINGS: readonly Setting[] = [
  { name: "TRACELEDGER_HOST", default: "127.0.0.1", help: "Address both ports listen on (an IP address or a host name); 0.0.0.0 to accept remote clients." },
  { name: "TRACELEDGER_GRPC_PORT", default: "7317", help: "gRPC port (grpc-js, h2c): TracingService, MonitoringService, OTLP/gRPC TraceService, health, reflection. 0 picks a free port." },
  { name: "TRACELEDGER_HTTP_PORT", default: "7318", help: "HTTP/1.1 port: Connect JSON and gRPC-Web, OTLP/HTTP POST /v1/traces, /healthz, /readyz, /metrics. 0 picks a free port." },
  { name: "TRACELEDGER_CORS_ALLOWED_ORIGINS", default: "", help: "Comma-separated origins (https://app.example.com) whose web pages may call the HTTP port (gRPC-Web, Connect, OTLP/HTTP from a browser); * for any. Unset: same-origin only." },
  { name: "DATABASE_URL", default: "", help: "PostgreSQL 14+ URL, postgres://user:password@host:5432/database; percent-encode @ # / ? % : in the user name and password. Unset: start the embedded PostgreSQL in TRACELEDGER_DATA_DIR." },
  { name: "TRACELEDGER_DATA_DIR", default: DEFAULT_DATA_DIR, help: "Data folder of the embedded PostgreSQL (created on first run)." },
  {
    name: "TRACELEDGER_APPEND_DEADLINE_MS",
    default: "30000",
    help: "A write whose database work (reading its trace, appending its events) is unanswered this long, most likely on a connection the network lost, gets UNAVAILABLE (STORE_UNAVAILABLE: retry), and the server's database connections are dropped. 1000 to 3600000.",
  },
  { name: "TRACING_ENABLED", default: "true", help: "true or false: whether traces leave traceledger (OTLP export)." },
  { name: "TRACING_SAMPLE_RATE", default: "1.0", help: "Share (0 to 1) of ordinary traces the OTLP export sends, unless OTLP_EXPORT_SAMPLE_RATE is set. (SDKs read their own TRACING_SAMPLE_RATE, in their process.)" },
  ...OTLP_EXPORT_SETTINGS,
  { name: "OTEL_SERVICE_NAME", default: "traceledger", help: "The server's own service name in its logs." },
  { name: "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", default: "128", help: "Most attributes a span keeps; extra ones are dropped and counted." },
  { name: "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", default: "", help: "Longest attribute value kept: UTF-16 characters of a string, bytes of a bytes value; longer ones are shortened and counted. Unset: no limit." },
  { name: "OTEL_SPAN_EVENT_COUNT_LIMIT", default: "128", help: "Most events a span holds, and separately the most errors (at least 1): past it, AddSpanEvent (RecordError) gets FAILED_PRECONDITION and an OTLP span's extra events are dropped and counted." },
  { name: "OTEL_SPAN_LINK_COUNT_LIMIT", default: "128", help: "Most links a span keeps; extra ones are dropped and counted." },
  { name: "TRACELEDGER_MAX_MESSAGE_BYTES", default: "4194304", help: "Largest request message accepted; larger ones get RESOURCE_EXHAUSTED." },
  { name: "TRACELEDGER_MAX_BATCH_COMMANDS", default: "10000", help: "Most commands one IngestBatch call may carry." },
  { name: "TRACELEDGER_MAX_OPEN_STREAMS", default: "1000", help: "Most server streams (WatchTrace, WatchActiveSpans, WatchAlerts) open at once, both ports together; more get RESOURCE_EXHAUSTED (TOO_MANY_STREAMS)." },
  { name: "TRACELEDGER_OTLP_MAX_PENDING_SPANS", default: "50000", help: "OTLP ingest: spans waiting to be stored before further exports get UNAVAILABLE / 503 with Retry-After." },
  { name: "TRACELEDGER_SHUTDOWN_GRACE_MS", default: "10000", help: "How long shutdown waits for in-flight calls before closing connections." },
  { name: "TRACELEDGER_LOG_LEVEL", default: "info", help: "debug, info, warn or error." },
  ...MONITORING_SETTINGS,
  { name: "TRACELEDGER_VIEW_CACHE_MB", default: "64", help: "Memory for GetTrace's cache of recently read traces, in MiB; 0 turns it off." },
  { name: "TRACELEDGER_VIEW_SNAPSHOT_EVERY", default: "128", help: "GetTrace stores a snapshot of a trace it reads every this many events (time travel starts there); 0: none." },
  {
    name: "TRACELEDGER_RETENTION",
    default: "",
    help: "Delete a trace (its events, listing rows, snapshots) this long after its last event: a whole number with s, m, h or d, e.g. 7d or 36h; only once every subscriber of the log (listing, saga, export) has read it. Must outlast the longest span, and be at least twice MONITORING_ORPHAN_TIMEOUT_MS and MONITORING_TRACE_IDLE_TIMEOUT_MS. Unset: keep every trace.",
  },
  {
    name: "TRACELEDGER_ALERT_RETENTION",
    default: "",
    help: "Delete a resolved alert (its events in the monitoring stream, its ListAlerts row) this long after its resolution: a whole number with s, m, h or d, or forever; an open alert is kept however old. Unset: the same as TRACELEDGER_RETENTION (forever when that is unset).",
  },
];

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const problems: string[] = [];
  const read = (name: string): string => {
    const setting = SETTINGS.find((s) => s.name === name)!;
    const value = env[name];
    return value === undefined || value.trim() === "" ? setting.default : value.trim();
  };
  const integer = (name: string, min: number, max: number): number => {
    const raw = read(name);
    const value = Number(raw);
    if (!isWholeNumber(raw) || value < min || value > max) {
      problems.push(`${name}=${JSON.stringify(raw)} is not a whole number between ${min} and ${max}`);
      return min;
    }
    return value;
  };
  const boolean = (name: string): boolean => {
    const raw = read(name);
    const value = parseBoolean(raw);
    if (value === undefined) problems.push(`${name}=${JSON.stringify(raw)} must be true or false`);
    return value ?? true;
  };

  // Decimal notation, as MONITORING_ERROR_RATE_THRESHOLD; empty is unset (the default), as for every setting.
  const sampleRaw = read("TRACING_SAMPLE_RATE");
  let sampleRate = Number(sampleRaw);
  if (!isDecimal(sampleRaw) || sampleRate > 1) {
    problems.push(`TRACING_SAMPLE_RATE=${JSON.stringify(sampleRaw)} must be a number from 0 to 1 in decimal notation (0, 0.25, .5, 1)`);
    sampleRate = 1;
  }
  const lengthRaw = read("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  const attributeValueLengthLimit = lengthRaw === "" ? Infinity : integer("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", 1, 1 << 30);
  const databaseUrl = read("DATABASE_URL") || undefined;
  const databaseUrlIssue = databaseUrl === undefined ? undefined : databaseUrlProblem(databaseUrl);
  if (databaseUrlIssue !== undefined) problems.push(databaseUrlIssue);
  const host = read("TRACELEDGER_HOST");
  if (isIP(host) === 0 && NUMERIC_LABELS.test(host)) {
    problems.push(`TRACELEDGER_HOST=${JSON.stringify(host)} looks like an IPv4 address but is not one: four numbers from 0 to 255 without leading zeros (e.g. 10.0.0.5)`);
  } else if (isIP(host) === 0 && !HOST_NAME.test(host)) {
    problems.push(`TRACELEDGER_HOST=${JSON.stringify(host)} must be an IP address or a host name`);
  }
  const cors = parseAllowedOrigins(read("TRACELEDGER_CORS_ALLOWED_ORIGINS"));
  if ("problem" in cors) problems.push(`TRACELEDGER_CORS_ALLOWED_ORIGINS: ${cors.problem}`);
  // Any letter case, as the booleans.
  const logLevelRaw = read("TRACELEDGER_LOG_LEVEL");
  const logLevel = logLevelRaw.toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`TRACELEDGER_LOG_LEVEL=${JSON.stringify(logLevelRaw)} must be debug, info, warn or error (any letter case)`);
  }

  const tracingEnabled = boolean("TRACING_ENABLED");
  // Settings that are valid but likely not what was meant: main.ts logs each at start-up.
  const warnings: string[] = [];
  const retentionRaw = read("TRACELEDGER_RETENTION");
  const retentionNs = retentionRaw === "" ? undefined : parseRetention(retentionRaw);
  if (retentionNs === null) {
    problems.push(`TRACELEDGER_RETENTION=${JSON.stringify(retentionRaw)} must be a whole number of seconds, minutes, hours or days, from 1s to 36500d (e.g. 7d, 36h, 90m)`);
  }
  const alertRetentionRaw = read("TRACELEDGER_ALERT_RETENTION");
  const alertRetentionNs = alertRetentionRaw === "" ? retentionNs : alertRetentionRaw.toLowerCase() === "forever" ? undefined : parseRetention(alertRetentionRaw);
  if (alertRetentionRaw !== "" && alertRetentionNs === null) {
    problems.push(`TRACELEDGER_ALERT_RETENTION=${JSON.stringify(alertRetentionRaw)} must be forever or a whole number of seconds, minutes, hours or days, from 1s to 36500d (e.g. 30d, 36h)`);
  }
  const config: ServerConfig = {
    host,
    grpcPort: integer("TRACELEDGER_GRPC_PORT", 0, 65535),
    httpPort: integer("TRACELEDGER_HTTP_PORT", 0, 65535),
    corsAllowedOrigins: "origins" in cors ? cors.origins : [],
    databaseUrl,
    dataDir: read("TRACELEDGER_DATA_DIR"),
    appendDeadlineMs: integer("TRACELEDGER_APPEND_DEADLINE_MS", 1000, 3_600_000),
    tracingEnabled,
    sampleRate,
    serviceName: read("OTEL_SERVICE_NAME"),
    attributeCountLimit: integer("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", 0, 100_000),
    attributeValueLengthLimit,
    eventCountLimit: integer("OTEL_SPAN_EVENT_COUNT_LIMIT", 0, 100_000),
    linkCountLimit: integer("OTEL_SPAN_LINK_COUNT_LIMIT", 0, 100_000),
    maxMessageBytes: integer("TRACELEDGER_MAX_MESSAGE_BYTES", 1024, 256 * 1024 * 1024),
    maxBatchCommands: integer("TRACELEDGER_MAX_BATCH_COMMANDS", 1, 1_000_000),
    maxOpenStreams: integer("TRACELEDGER_MAX_OPEN_STREAMS", 1, 1_000_000),
    otlpMaxPendingSpans: integer("TRACELEDGER_OTLP_MAX_PENDING_SPANS", 1, 100_000_000),
    shutdownGraceMs: integer("TRACELEDGER_SHUTDOWN_GRACE_MS", 0, 600_000),
    logLevel,
    otlpExport: loadOtlpExportConfig(env, problems, { tracingEnabled, sampleRate }, warnings),
    monitoring: loadMonitoringSettings(env, problems),
    viewCacheBytes: integer("TRACELEDGER_VIEW_CACHE_MB", 0, 1_000_000) * 1024 * 1024,
    viewSnapshotEvery: integer("TRACELEDGER_VIEW_SNAPSHOT_EVERY", 0, 1_000_000),
    retentionNs: retentionNs ?? undefined,
    alertRetentionNs: alertRetentionNs ?? undefined,
    warnings,
  };
  // A span is closed as an orphan, and a trace begun elsewhere as idle, only while its trace
  // is kept: retention no longer than those would delete a trace the saga still tracks.
  const monitoring = config.monitoring;
  if (config.retentionNs !== undefined && monitoring.enabled) {
    const longest = monitoring.saga.orphanTimeoutNs > monitoring.saga.traceIdleTimeoutNs ? monitoring.saga.orphanTimeoutNs : monitoring.saga.traceIdleTimeoutNs;
    // Twice the longer timeout: the saga measures from when it learnt of a span, its ticks and
    // closes take their time, and retention measures from when the last event was recorded.
    if (config.retentionNs < 2n * longest) {
      problems.push(
        `TRACELEDGER_RETENTION=${JSON.stringify(retentionRaw)} must be at least twice MONITORING_ORPHAN_TIMEOUT_MS and MONITORING_TRACE_IDLE_TIMEOUT_MS (${(2n * longest) / 1_000_000n} ms): the saga closes spans and traces only while they are kept`,
      );
    }
  }
  if (config.grpcPort !== 0 && config.grpcPort === config.httpPort) {
    problems.push(`TRACELEDGER_GRPC_PORT and TRACELEDGER_HTTP_PORT are both ${config.grpcPort}; they must differ`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  return config;
}

const RETENTION_UNIT_NS: Readonly<Record<string, bigint>> = { s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n };
const MAX_RETENTION_NS = 36_500n * RETENTION_UNIT_NS.d!;

/** "7d", "36h", "90m", "30s" in nanoseconds; null when it is none of those or out of range. */
function parseRetention(raw: string): bigint | null {
  const match = /^(\d{1,9})\s*([smhd])$/i.exec(raw);
  if (!match) return null;
  const ns = BigInt(match[1]!) * RETENTION_UNIT_NS[match[2]!.toLowerCase()]!;
  return ns < RETENTION_UNIT_NS.s! || ns > MAX_RETENTION_NS ? null : ns;
}

export function helpText(): string {
  const width = Math.max(...SETTINGS.map((s) => s.name.length));
  const lines = SETTINGS.map((s) => `  ${s.name.padEnd(width)}  ${s.help}${s.default ? ` (default: ${s.default})` : ""}`);
  return [
    "traceledger server: span-lifecycle tracing on an event store.",
    "",
    "usage: npm start [-- --demo]      (node --max-semi-space-size=64 --import tsx apps/server/src/main.ts [--demo] [--help])",
    "",
    "  --demo   after start-up, send a small trace across three pretend services and print it",
    "  --help   print this text",
    "",
    "environment:",
    ...lines,
    "",
    "SIGTERM, SIGINT or SIGHUP shuts down gracefully: stop accepting, drain calls, close watchers, stop PostgreSQL (exit 0).",
  ].join("\n");
}
