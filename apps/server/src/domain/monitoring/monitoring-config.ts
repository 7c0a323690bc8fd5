// What the saga watches for, with the defaults of the original design. Times
// are Unix nanoseconds (bigint) like every time in the domain; rates and
// counts are numbers.

export interface SlowSpanThresholds {
  readonly defaultNs: bigint;
  /** Per service name; wins over the default. */
  readonly byService: ReadonlyMap<string, bigint>;
  /** Per service name, then span name; wins over the service's threshold. */
  readonly byOperation: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
}

export interface ErrorRateConfig {
  /** Raise when errored / ended spans in the window is above this (0.1 = 10%). */
  readonly threshold: number;
  /** Resolve when the rate is at or below this; lower than `threshold` for hysteresis. */
  readonly resolveAt: number;
  readonly windowNs: bigint;
  /** The window slides in steps of one bucket. */
  readonly bucketNs: bigint;
  /** Fewer ended spans than this in the window say nothing, in either direction. */
  readonly minSamples: number;
}

export interface AnomalyConfig {
  /** A span is anomalous above mean + k standard deviations of its operation. */
  readonly k: number;
  /** No verdict until the operation's baseline has this many samples. */
  readonly minSamples: number;
  /** Weight of each new sample in the exponentially decayed mean and variance. */
  readonly alpha: number;
  /** Deviation assumed at least this large, so sub-millisecond jitter is no incident. */
  readonly minStddevNs: bigint;
  /** An open anomaly resolves after this many spans of the operation in a row within the band. */
  readonly clearAfter: number;
}

export interface MonitoringConfig {
  readonly slowSpan: SlowSpanThresholds;
  readonly slowTraceThresholdNs: bigint;
  readonly errorRate: ErrorRateConfig;
  /** A SpanErrorOccurred with one of these error types raises an alert at once. */
  readonly criticalErrorTypes: ReadonlySet<string>;
  /** A span open this long (from when the saga learned of it) is closed as an orphan. */
  readonly orphanTimeoutNs: bigint;
  /**
   * A trace without a local root (it began in another system, so no end
   * completes it) is closed once it has had no running span and no event for this long.
   */
  readonly traceIdleTimeoutNs: bigint;
  readonly anomaly: AnomalyConfig;
  /** Per-service and per-operation statistics are forgotten after this long without a span. */
  readonly statsRetentionNs: bigint;
  /**
   * The most operations whose statistics are kept, and apart from them the most services: names
   * come from clients (an id in a span name), and each keeps an error-rate window and a baseline
   * for at least statsRetentionNs. Past it, the least recently active without an open alert goes.
   */
  readonly maxOperations: number;
}

const SECOND = 1_000_000_000n;

/**
 * The most buckets an error-rate window may have (the default has 6). Each service and each
 * operation keeps a count per bucket, allocated at its first ended span, and every ended span
 * sums its window's: a day in 1 ms buckets would be 86,400,000 per operation.
 */
export const MAX_ERROR_RATE_BUCKETS = 1000;

/**
 * The default of maxOperations. Measured (heap after a full GC): an operation keeps ~0.7 KB with
 * the default 6-bucket window and ~24 KB with 1000 buckets, a service ~0.5 KB and ~24 KB; so
 * both maps full hold ~12 MB by default and ~480 MB with the widest window (docs/operations.md).
 */
export const DEFAULT_MAX_OPERATIONS = 10_000;

export const DEFAULT_MONITORING_CONFIG: MonitoringConfig = {
  slowSpan: { defaultNs: 5n * SECOND, byService: new Map(), byOperation: new Map() },
  slowTraceThresholdNs: 10n * SECOND,
  errorRate: { threshold: 0.1, resolveAt: 0.1, windowNs: 60n * SECOND, bucketNs: 10n * SECOND, minSamples: 20 },
  criticalErrorTypes: new Set(),
  orphanTimeoutNs: 300n * SECOND,
  traceIdleTimeoutNs: 60n * SECOND,
  anomaly: { k: 4, minSamples: 30, alpha: 0.01, minStddevNs: 1_000_000n, clearAfter: 10 },
  statsRetentionNs: 3600n * SECOND,
  maxOperations: DEFAULT_MAX_OPERATIONS,
};

/** Overrides in plain objects, as read from the environment or a file. */
export interface MonitoringConfigInput {
  readonly slowSpan?: {
    readonly defaultNs?: bigint;
    readonly byService?: Readonly<Record<string, bigint>>;
    readonly byOperation?: Readonly<Record<string, Readonly<Record<string, bigint>>>>;
  };
  readonly slowTraceThresholdNs?: bigint;
  readonly errorRate?: Partial<ErrorRateConfig>;
  readonly criticalErrorTypes?: readonly string[];
  readonly orphanTimeoutNs?: bigint;
  readonly traceIdleTimeoutNs?: bigint;
  readonly anomaly?: Partial<AnomalyConfig>;
  readonly statsRetentionNs?: bigint;
  readonly maxOperations?: number;
}

/** The defaults with `input` laid over them; throws a RangeError for values the rules cannot work with. */
export function monitoringConfig(input: MonitoringConfigInput = {}): MonitoringConfig {
  const d = DEFAULT_MONITORING_CONFIG;
  const threshold = input.errorRate?.threshold ?? d.errorRate.threshold;
  const config: MonitoringConfig = {
    slowSpan: {
      defaultNs: input.slowSpan?.defaultNs ?? d.slowSpan.defaultNs,
      byService: new Map(Object.entries(input.slowSpan?.byService ?? {})),
      byOperation: new Map(Object.entries(input.slowSpan?.byOperation ?? {}).map(([service, ops]) => [service, new Map(Object.entries(ops))])),
    },
    slowTraceThresholdNs: input.slowTraceThresholdNs ?? d.slowTraceThresholdNs,
    errorRate: {
      threshold,
      // Without an explicit resolve level, resolve where the alert would no longer be raised.
      resolveAt: input.errorRate?.resolveAt ?? threshold,
      windowNs: input.errorRate?.windowNs ?? d.errorRate.windowNs,
      bucketNs: input.errorRate?.bucketNs ?? d.errorRate.bucketNs,
      minSamples: input.errorRate?.minSamples ?? d.errorRate.minSamples,
    },
    criticalErrorTypes: new Set(input.criticalErrorTypes ?? d.criticalErrorTypes),
    orphanTimeoutNs: input.orphanTimeoutNs ?? d.orphanTimeoutNs,
    traceIdleTimeoutNs: input.traceIdleTimeoutNs ?? d.traceIdleTimeoutNs,
    anomaly: {
      k: input.anomaly?.k ?? d.anomaly.k,
      minSamples: input.anomaly?.minSamples ?? d.anomaly.minSamples,
      alpha: input.anomaly?.alpha ?? d.anomaly.alpha,
      minStddevNs: input.anomaly?.minStddevNs ?? d.anomaly.minStddevNs,
      clearAfter: input.anomaly?.clearAfter ?? d.anomaly.clearAfter,
    },
    statsRetentionNs: input.statsRetentionNs ?? d.statsRetentionNs,
    maxOperations: input.maxOperations ?? d.maxOperations,
  };
  validate(config);
  return config;
}

/** The slow-span threshold of one operation: its own, else its service's, else the default. */
export function slowSpanThresholdNs(config: MonitoringConfig, service: string, spanName: string): bigint {
  const t = config.slowSpan;
  return t.byOperation.get(service)?.get(spanName) ?? t.byService.get(service) ?? t.defaultNs;
}

function validate(c: MonitoringConfig): void {
  const positive: Array<[string, bigint]> = [
    ["slowSpan.defaultNs", c.slowSpan.defaultNs],
    ["slowTraceThresholdNs", c.slowTraceThresholdNs],
    ["errorRate.windowNs", c.errorRate.windowNs],
    ["errorRate.bucketNs", c.errorRate.bucketNs],
    ["orphanTimeoutNs", c.orphanTimeoutNs],
    ["traceIdleTimeoutNs", c.traceIdleTimeoutNs],
    ["statsRetentionNs", c.statsRetentionNs],
  ];
  for (const [service, ops] of c.slowSpan.byOperation) for (const [op, ns] of ops) positive.push([`slowSpan.byOperation.${service}.${op}`, ns]);
  for (const [service, ns] of c.slowSpan.byService) positive.push([`slowSpan.byService.${service}`, ns]);
  for (const [name, value] of positive) if (value <= 0n) throw new RangeError(`monitoring config: ${name} must be positive, got ${value}`);

  const e = c.errorRate;
  if (e.windowNs % e.bucketNs !== 0n) throw new RangeError("monitoring config: errorRate.windowNs must be a whole number of buckets");
  if (e.windowNs / e.bucketNs > BigInt(MAX_ERROR_RATE_BUCKETS)) throw new RangeError(`monitoring config: errorRate.windowNs must be at most ${MAX_ERROR_RATE_BUCKETS} buckets`);
  if (!(e.threshold > 0 && e.threshold < 1)) throw new RangeError(`monitoring config: errorRate.threshold must be between 0 and 1, got ${e.threshold}`);
  if (!(e.resolveAt >= 0 && e.resolveAt <= e.threshold)) throw new RangeError("monitoring config: errorRate.resolveAt must be between 0 and the threshold");
  // A window that always holds a sample could keep an alert open with no traffic at all.
  if (!Number.isInteger(e.minSamples) || e.minSamples < 1) throw new RangeError("monitoring config: errorRate.minSamples must be a positive integer");
  // Statistics are only dropped once their window is empty, so open error-rate alerts resolve first.
  if (c.statsRetentionNs < e.windowNs) throw new RangeError("monitoring config: statsRetentionNs must be at least errorRate.windowNs");
  if (!Number.isInteger(c.maxOperations) || c.maxOperations < 1) throw new RangeError(`monitoring config: maxOperations must be a positive integer, got ${c.maxOperations}`);

  const a = c.anomaly;
  if (!(a.k > 0)) throw new RangeError("monitoring config: anomaly.k must be positive");
  if (!(a.alpha > 0 && a.alpha <= 1)) throw new RangeError("monitoring config: anomaly.alpha must be in (0, 1]");
  if (!Number.isInteger(a.minSamples) || a.minSamples < 1) throw new RangeError("monitoring config: anomaly.minSamples must be a positive integer");
  if (!Number.isInteger(a.clearAfter) || a.clearAfter < 1) throw new RangeError("monitoring config: anomaly.clearAfter must be a positive integer");
  if (a.minStddevNs < 0n) throw new RangeError("monitoring config: anomaly.minStddevNs must not be negative");
}
