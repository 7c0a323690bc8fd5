// The monitoring saga's settings from the environment: MONITORING_ENABLED and
// ALERT_WEBHOOK_URL from the original design, and MONITORING_* beside them.
// server-config.ts lists them in --help and reports their problems with the
// rest, so a bad value stops the server with every problem named at once.

import { isDecimal, isWholeNumber, parseBoolean } from "../config/setting-values.js";
import { takeUrlCredentials, withoutUserinfo } from "../config/url-credentials.js";
import { DEFAULT_MAX_OPERATIONS, MAX_ERROR_RATE_BUCKETS, monitoringConfig, type MonitoringConfig } from "../domain/monitoring/index.js";

export interface MonitoringSettings {
  readonly enabled: boolean;
  readonly saga: MonitoringConfig;
  readonly tickIntervalMs: number;
  readonly leaseMs: number;
  /** Empty: no webhook. */
  readonly webhookUrl: string;
  /** The leader snapshots its state every this many events read; 0: never. */
  readonly snapshotEveryEvents: number;
}

interface Setting {
  readonly name: string;
  readonly default: string;
  readonly help: string;
}

/** MONITORING_MAX_OPERATIONS at most: a million operations keep 0.7 GB with the default window, 24 GB with the widest. */
const MAX_OPERATIONS_LIMIT = 1_000_000;

export const MONITORING_SETTINGS: readonly Setting[] = [
  { name: "MONITORING_ENABLED", default: "true", help: "true or false: run the DistributedTracingSaga (active spans, alerts, orphan cleanup)." },
  { name: "MONITORING_SLOW_SPAN_MS", default: "5000", help: "A span still running after longer than this raises a slow-span alert (while it runs)." },
  {
    name: "MONITORING_SLOW_SPAN_OVERRIDES",
    default: "",
    help: "Per service or operation: comma-separated service=ms or service/span name=ms (the first '/' ends the service name), e.g. \"payments=8000,checkout/POST /pay=2000\".",
  },
  { name: "MONITORING_SLOW_TRACE_MS", default: "10000", help: "A trace still running after longer than this raises a slow-trace alert." },
  { name: "MONITORING_ERROR_RATE_THRESHOLD", default: "0.1", help: "Error-rate alert above this share of errored spans (per service and per operation), strictly between 0 and 1." },
  {
    name: "MONITORING_ERROR_RATE_WINDOW_MS",
    default: "60000",
    help: `The sliding window of the error rate; a whole number of buckets, at most ${MAX_ERROR_RATE_BUCKETS} (each service and operation keeps a count per bucket).`,
  },
  { name: "MONITORING_ERROR_RATE_BUCKET_MS", default: "10000", help: "The step the error-rate window slides by." },
  { name: "MONITORING_ERROR_RATE_MIN_SAMPLES", default: "20", help: "With fewer ended spans than this in the window, no error-rate alert is raised and an open one resolves (INSUFFICIENT_SAMPLES)." },
  {
    name: "MONITORING_MAX_OPERATIONS",
    default: String(DEFAULT_MAX_OPERATIONS),
    help: `The most operations (service and span name) whose error rate and latency baseline the saga keeps, and apart from them the most services, 1 to ${MAX_OPERATIONS_LIMIT}; past it the least recently active without an open alert is forgotten (an id in span names makes an operation per call).`,
  },
  { name: "MONITORING_CRITICAL_ERROR_TYPES", default: "", help: "Comma-separated error types that raise an alert at once, e.g. \"OutOfMemoryError,DataLoss\"." },
  { name: "MONITORING_ORPHAN_TIMEOUT_MS", default: "300000", help: "A span open longer than this is closed as an orphan (end reason ORPHANED)." },
  { name: "MONITORING_TRACE_IDLE_TIMEOUT_MS", default: "60000", help: "A trace begun elsewhere (no local root) is closed once nothing has run in it for longer than this." },
  { name: "MONITORING_TICK_MS", default: "1000", help: "How often the saga looks at the clock: the delay of slow-span and orphan detection." },
  { name: "MONITORING_LEASE_MS", default: "15000", help: "The saga's lease: with replicas, another takes over within this long after the leader dies." },
  {
    name: "MONITORING_SNAPSHOT_EVERY_EVENTS",
    default: "250000",
    help: "The saga's leader stores a snapshot of its state every this many events of the log (at most every 30 s), so a new leader or a starting replica folds the log from there; 0: none is written or read (each folds the whole log).",
  },
  { name: "ALERT_WEBHOOK_URL", default: "", help: "http(s) URL: every alert event is POSTed there as JSON, at least once, with an Idempotency-Key header." },
];

const MS = 1_000_000n;

/** Reads the settings; appends a message to `problems` for each bad value. */
export function loadMonitoringSettings(env: NodeJS.ProcessEnv, problems: string[]): MonitoringSettings {
  const read = (name: string): string => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? MONITORING_SETTINGS.find((s) => s.name === name)!.default : value.trim();
  };
  const integer = (name: string, min: number, max: number): number => {
    const raw = read(name);
    const value = Number(raw);
    if (!isWholeNumber(raw) || value < min || value > max) {
      problems.push(`${name}=${JSON.stringify(raw)} is not a whole number between ${min} and ${max}`);
      return Number(MONITORING_SETTINGS.find((s) => s.name === name)!.default);
    }
    return value;
  };
  const DAY_MS = 86_400_000;

  const enabledRaw = read("MONITORING_ENABLED");
  const enabledValue = parseBoolean(enabledRaw);
  // Reported as given (YES, not yes).
  if (enabledValue === undefined) problems.push(`MONITORING_ENABLED=${JSON.stringify(enabledRaw)} must be true or false`);
  const enabled = enabledValue ?? false;

  const thresholdRaw = read("MONITORING_ERROR_RATE_THRESHOLD");
  let threshold = Number(thresholdRaw);
  if (!isDecimal(thresholdRaw) || !(threshold > 0 && threshold < 1)) {
    problems.push(`MONITORING_ERROR_RATE_THRESHOLD=${JSON.stringify(thresholdRaw)} must be a number between 0 and 1 (exclusive)`);
    threshold = 0.1;
  }

  const byService: Record<string, bigint> = {};
  const byOperation: Record<string, Record<string, bigint>> = {};
  const overrides = read("MONITORING_SLOW_SPAN_OVERRIDES");
  const seen = new Set<string>();
  for (const entry of overrides === "" ? [] : overrides.split(",")) {
    const match = /^([^=/]+?)(?:\/([^=]+?))?\s*=\s*(\d+)$/.exec(entry.trim());
    // Bounded like MONITORING_SLOW_SPAN_MS: a threshold past a day never fires, and one past 2^64 ns
    // could not even be encoded in an ActiveSpan.
    if (!match || Number(match[3]) < 1 || Number(match[3]) > DAY_MS) {
      problems.push(`MONITORING_SLOW_SPAN_OVERRIDES: ${JSON.stringify(entry.trim())} is not service=ms or service/span name=ms (ms from 1 to ${DAY_MS})`);
      continue;
    }
    const [, service, operation, ms] = match;
    const where = operation === undefined ? service!.trim() : `${service!.trim()}/${operation.trim()}`;
    if (seen.has(where)) problems.push(`MONITORING_SLOW_SPAN_OVERRIDES: ${JSON.stringify(where)} is given twice`);
    seen.add(where);
    if (operation === undefined) byService[service!.trim()] = BigInt(ms!) * MS;
    else (byOperation[service!.trim()] ??= {})[operation.trim()] = BigInt(ms!) * MS;
  }

  const webhookUrl = read("ALERT_WEBHOOK_URL");
  // Messages never quote the credentials a webhook URL may carry.
  if (webhookUrl !== "" && !isHttpUrl(webhookUrl)) problems.push(`ALERT_WEBHOOK_URL=${JSON.stringify(withoutUserinfo(webhookUrl))} must be an http:// or https:// URL`);
  else if (webhookUrl !== "" && takeUrlCredentials(new URL(webhookUrl)) === "malformed") {
    problems.push("ALERT_WEBHOOK_URL has a user name or password with a malformed percent-encoding (write a '%' in them as %25)");
  }

  const windowMs = integer("MONITORING_ERROR_RATE_WINDOW_MS", 1, DAY_MS);
  const bucketMs = integer("MONITORING_ERROR_RATE_BUCKET_MS", 1, DAY_MS);
  const input = {
    slowSpan: { defaultNs: BigInt(integer("MONITORING_SLOW_SPAN_MS", 1, DAY_MS)) * MS, byService, byOperation },
    slowTraceThresholdNs: BigInt(integer("MONITORING_SLOW_TRACE_MS", 1, DAY_MS)) * MS,
    errorRate: { threshold, windowNs: BigInt(windowMs) * MS, bucketNs: BigInt(bucketMs) * MS, minSamples: integer("MONITORING_ERROR_RATE_MIN_SAMPLES", 1, 1_000_000) },
    criticalErrorTypes: read("MONITORING_CRITICAL_ERROR_TYPES")
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== ""),
    orphanTimeoutNs: BigInt(integer("MONITORING_ORPHAN_TIMEOUT_MS", 1, 7 * DAY_MS)) * MS,
    traceIdleTimeoutNs: BigInt(integer("MONITORING_TRACE_IDLE_TIMEOUT_MS", 1, 7 * DAY_MS)) * MS,
    // Statistics outlive their window (the saga requires it), an hour at least.
    statsRetentionNs: BigInt(Math.max(3_600_000, windowMs)) * MS,
    maxOperations: integer("MONITORING_MAX_OPERATIONS", 1, MAX_OPERATIONS_LIMIT),
  };
  // The rules the two variables can break together: the window must be whole buckets, and not too many.
  const buckets = Math.ceil(windowMs / bucketMs);
  if (buckets > MAX_ERROR_RATE_BUCKETS) {
    problems.push(
      `MONITORING_ERROR_RATE_WINDOW_MS (${windowMs}) is ${buckets} buckets of MONITORING_ERROR_RATE_BUCKET_MS (${bucketMs}): at most ${MAX_ERROR_RATE_BUCKETS} are allowed (each service and operation keeps a count per bucket); use larger buckets or a shorter window`,
    );
  }
  let saga: MonitoringConfig;
  try {
    saga = monitoringConfig(input);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    if (windowMs % bucketMs !== 0) {
      problems.push(`MONITORING_ERROR_RATE_WINDOW_MS (${windowMs}) must be a whole multiple of MONITORING_ERROR_RATE_BUCKET_MS (${bucketMs}): ${error.message}`);
    } else if (buckets <= MAX_ERROR_RATE_BUCKETS) throw error;
    saga = monitoringConfig({ ...input, errorRate: { threshold } });
  }
  return {
    enabled,
    saga,
    tickIntervalMs: integer("MONITORING_TICK_MS", 10, 60_000),
    leaseMs: integer("MONITORING_LEASE_MS", 300, 600_000),
    webhookUrl,
    snapshotEveryEvents: integer("MONITORING_SNAPSHOT_EVERY_EVENTS", 0, 1_000_000_000),
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
