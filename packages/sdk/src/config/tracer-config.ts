// Configuration of a tracer (and of the OpenTelemetry bridge): the environment
// first, with the names users already know, and options given in code winning
// over it. Everything is validated when the tracer is built; a bad value throws a
// TracingConfigError that names every problem. After that, nothing throws.
//
//   TRACING_ENABLED          true | false (also 1 | 0). false: no spans, no calls.
//   TRACING_SAMPLE_RATE      0..1, head sampling of new traces (default 1).
//   OTEL_SERVICE_NAME        the service name (default unknown_service:node).
//   OTEL_RESOURCE_ATTRIBUTES k=v,k2=v2 (percent-encoded values), added to the resource;
//                            its service.name names the service when OTEL_SERVICE_NAME
//                            does not.
//   TRACELEDGER_URL          the server (default http://127.0.0.1:7317, the gRPC port).
//   TRACELEDGER_TRANSPORT    grpc (default) | connect (for the HTTP port, e.g. :7318).
//   TRACELEDGER_HEADERS      k=v,k2=v2 (percent-encoded values), sent with every call.
//   TRACELEDGER_TIMEOUT_MS   the deadline of each call (default 10000).

import type { Interceptor } from "@connectrpc/connect";
import { hostname } from "node:os";
import { DEFAULT_TIMEOUT_MS, validateClientOptions, type TracingClient, type TransportKind } from "../client/tracing-client.js";
import type { Attributes } from "../commands/attributes.js";
import { DEFAULT_BATCHING, type BatchingOptions } from "../export/batching-sink.js";
import { SDK_NAME, SDK_VERSION } from "../sdk-info.js";
import { TracingConfigError } from "./tracing-config-error.js";

export type ExportMode = "batch" | "immediate";

/** Batching settings a caller may change; see BatchingSink for what each does. */
export interface BatchSettings {
  readonly maxQueueSize?: number;
  readonly maxBatchSize?: number;
  /** Most bytes in one call (keep it within the server's TRACELEDGER_MAX_MESSAGE_BYTES); a larger command is dropped. */
  readonly maxBatchBytes?: number;
  readonly flushIntervalMs?: number;
  readonly maxAttempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly shutdownTimeoutMs?: number;
  /** After the server took fewer commands per call than maxBatchSize, how long until full batches are tried again. */
  readonly batchSizeRecheckMs?: number;
}

/** Where spans go and how they travel: shared by createTracer and the OpenTelemetry bridge. */
export interface ExportOptions {
  /** False makes the SDK a no-op: no spans recorded, no client created, no calls. Env TRACING_ENABLED. */
  readonly enabled?: boolean;
  /** The server. Env TRACELEDGER_URL; default http://127.0.0.1:7317. */
  readonly url?: string;
  /** "grpc" for the gRPC port (default), "connect" for the HTTP port. Env TRACELEDGER_TRANSPORT. */
  readonly transport?: TransportKind;
  /** Headers sent with every call. Env TRACELEDGER_HEADERS. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The deadline of each call. Env TRACELEDGER_TIMEOUT_MS; default 10,000. */
  readonly timeoutMs?: number;
  /** "batch" (default): IngestBatch calls from a bounded queue. "immediate": one unary call per command. */
  readonly mode?: ExportMode;
  readonly batch?: BatchSettings;
  /** Connect interceptors for every call. */
  readonly interceptors?: readonly Interceptor[];
  /** An existing client to use (the tracer will not close it). */
  readonly client?: TracingClient;
  /** Where the SDK's own warnings go (rate-limited). Default console.warn. */
  readonly onWarning?: (message: string) => void;
  /** The environment to read instead of process.env (tests). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface TracerOptions extends ExportOptions {
  /**
   * Else `service.name` of the resourceAttributes option; else env OTEL_SERVICE_NAME; else
   * `service.name` of OTEL_RESOURCE_ATTRIBUTES; default unknown_service:node. The resource's
   * `service.name` is always this name.
   */
  readonly serviceName?: string;
  /** Head sampling rate of new traces, 0..1. Env TRACING_SAMPLE_RATE; default 1. */
  readonly sampleRate?: number;
  /** Extra resource attributes (the process), sent with every span start. */
  readonly resourceAttributes?: Attributes;
  /** The instrumentation scope name recorded with each span. Default "@traceledger/sdk". */
  readonly scopeName?: string;
  /** That scope's version. Default: the SDK's version when scopeName is the default, else none. */
  readonly scopeVersion?: string;
}

export interface ExportConfig {
  readonly enabled: boolean;
  readonly url: string;
  readonly transport: TransportKind;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly mode: ExportMode;
  readonly batching: BatchingOptions;
  readonly interceptors: readonly Interceptor[];
  readonly client: TracingClient | undefined;
  readonly resourceAttributes: Attributes;
}

export interface TracerConfig extends ExportConfig {
  readonly serviceName: string;
  readonly sampleRate: number;
  readonly scopeName: string;
  readonly scopeVersion: string;
}

export const DEFAULT_URL = "http://127.0.0.1:7317";
/** The server's HTTP port, where the "connect" transport goes when no URL is given. */
export const DEFAULT_CONNECT_URL = "http://127.0.0.1:7318";
export const DEFAULT_SERVICE_NAME = "unknown_service:node";

export function resolveTracerConfig(options: TracerOptions = {}): TracerConfig {
  const problems: string[] = [];
  const env = options.env ?? process.env;
  const exportConfig = resolveExport(options, env, problems);

  // Code wins over the environment, as for every option: the option, else a service.name
  // given in code among resourceAttributes; then OTEL_SERVICE_NAME, which wins over a
  // service.name in OTEL_RESOURCE_ATTRIBUTES, as in OpenTelemetry. The resource carries
  // the same name.
  let serviceName = DEFAULT_SERVICE_NAME;
  const resourceServiceName = (attributes: Readonly<Record<string, unknown>> | undefined): string | undefined => {
    const value = typeof attributes === "object" && attributes !== null ? attributes["service.name"] : undefined;
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  if (options.serviceName !== undefined) {
    if (typeof options.serviceName !== "string" || options.serviceName.trim() === "") problems.push(`serviceName=${JSON.stringify(options.serviceName)} must be a non-empty string`);
    else serviceName = options.serviceName;
  } else {
    serviceName =
      resourceServiceName(options.resourceAttributes) ??
      setting(env, "OTEL_SERVICE_NAME") ??
      resourceServiceName(exportConfig.resourceAttributes) ??
      DEFAULT_SERVICE_NAME;
  }

  let sampleRate = 1;
  if (options.sampleRate !== undefined) {
    if (!isRate(options.sampleRate)) problems.push(`sampleRate=${JSON.stringify(options.sampleRate)} must be a number between 0 and 1`);
    else sampleRate = options.sampleRate;
  } else if (nonEmpty(env["TRACING_SAMPLE_RATE"])) {
    const raw = env["TRACING_SAMPLE_RATE"]!.trim();
    const value = Number(raw);
    // Decimal notation only, as the server reads the same variable: Number() would also take 0x1, 1e-3, -0.
    if (!/^\d*\.?\d+$/.test(raw) || !isRate(value)) problems.push(`TRACING_SAMPLE_RATE=${JSON.stringify(raw)} must be a number between 0 and 1 in decimal notation (0, 0.25, .5, 1)`);
    else sampleRate = value;
  }

  if (options.scopeName !== undefined && typeof options.scopeName !== "string") problems.push(`scopeName must be a string`);
  if (options.scopeVersion !== undefined && typeof options.scopeVersion !== "string") problems.push(`scopeVersion must be a string`);
  if (options.resourceAttributes !== undefined && (typeof options.resourceAttributes !== "object" || options.resourceAttributes === null)) {
    problems.push(`resourceAttributes must be an object of attribute values`);
  }
  if (problems.length > 0) throw new TracingConfigError(problems);
  return {
    ...exportConfig,
    serviceName,
    sampleRate,
    scopeName: options.scopeName ?? SDK_NAME,
    scopeVersion: options.scopeVersion ?? (options.scopeName === undefined ? SDK_VERSION : ""),
    resourceAttributes: {
      "telemetry.sdk.name": SDK_NAME,
      "telemetry.sdk.language": "nodejs",
      "telemetry.sdk.version": SDK_VERSION,
      "host.name": hostname(),
      "process.pid": process.pid,
      ...exportConfig.resourceAttributes,
      ...options.resourceAttributes,
      "service.name": serviceName,
    },
  };
}

/** The export part alone (the OpenTelemetry bridge takes service and resource from OTel). */
export function resolveExportConfig(options: ExportOptions = {}): ExportConfig {
  const problems: string[] = [];
  const config = resolveExport(options, options.env ?? process.env, problems);
  if (problems.length > 0) throw new TracingConfigError(problems);
  return config;
}

function resolveExport(options: ExportOptions, env: Readonly<Record<string, string | undefined>>, problems: string[]): ExportConfig {
  let enabled = true;
  if (options.enabled !== undefined) {
    if (typeof options.enabled !== "boolean") problems.push(`enabled=${JSON.stringify(options.enabled)} must be true or false`);
    else enabled = options.enabled;
  } else if (nonEmpty(env["TRACING_ENABLED"])) {
    const raw = env["TRACING_ENABLED"]!.trim().toLowerCase();
    if (raw === "true" || raw === "1") enabled = true;
    else if (raw === "false" || raw === "0") enabled = false;
    else problems.push(`TRACING_ENABLED=${JSON.stringify(env["TRACING_ENABLED"])} must be true or false`);
  }

  const fromEnv = (name: string) => setting(env, name);
  const transport = (options.transport ?? fromEnv("TRACELEDGER_TRANSPORT") ?? "grpc") as TransportKind;
  // The server's port for the transport: Connect is served on the HTTP port only.
  const url = options.url ?? fromEnv("TRACELEDGER_URL") ?? (transport === "connect" ? DEFAULT_CONNECT_URL : DEFAULT_URL);
  let timeoutMs: number = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeoutRaw = fromEnv("TRACELEDGER_TIMEOUT_MS");
  if (options.timeoutMs === undefined && timeoutRaw !== undefined) {
    // Said here, as given: the client's own check would see only a number.
    if (/^\d+$/.test(timeoutRaw)) timeoutMs = Number(timeoutRaw);
    else problems.push(`TRACELEDGER_TIMEOUT_MS=${JSON.stringify(timeoutRaw)} must be a whole number of milliseconds between 1 and 600000`);
  }
  const headers = options.headers ?? parseKeyValueList(fromEnv("TRACELEDGER_HEADERS"), "TRACELEDGER_HEADERS", problems);
  const names = {
    url: options.url !== undefined ? "url" : "TRACELEDGER_URL",
    transport: options.transport !== undefined ? "transport" : "TRACELEDGER_TRANSPORT",
    timeoutMs: options.timeoutMs !== undefined ? "timeoutMs" : "TRACELEDGER_TIMEOUT_MS",
    headers: options.headers !== undefined ? "headers" : "TRACELEDGER_HEADERS",
  };
  if (options.client === undefined) problems.push(...validateClientOptions({ url, transport, timeoutMs, headers }, names));

  const mode = options.mode ?? "batch";
  if (mode !== "batch" && mode !== "immediate") problems.push(`mode=${JSON.stringify(mode)} must be "batch" or "immediate"`);
  const batching = resolveBatching(options.batch ?? {}, problems, options.onWarning ?? defaultWarn);
  if (options.onWarning !== undefined && typeof options.onWarning !== "function") problems.push("onWarning must be a function");

  return {
    enabled,
    url,
    transport,
    headers,
    timeoutMs,
    mode,
    batching: mode === "immediate" ? { ...batching, maxBatchSize: 1, flushIntervalMs: 1 } : batching,
    interceptors: options.interceptors ?? [],
    client: options.client,
    resourceAttributes: parseKeyValueList(fromEnv("OTEL_RESOURCE_ATTRIBUTES"), "OTEL_RESOURCE_ATTRIBUTES", problems),
  };
}

function resolveBatching(batch: BatchSettings, problems: string[], warn: (message: string) => void): BatchingOptions {
  const pick = (key: keyof BatchSettings, min: number, max: number): number => {
    const value = batch[key];
    if (value === undefined) return DEFAULT_BATCHING[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`batch.${key}=${JSON.stringify(value)} must be a whole number between ${min} and ${max}`);
      return DEFAULT_BATCHING[key];
    }
    return value;
  };
  const resolved: BatchingOptions = {
    ...DEFAULT_BATCHING,
    maxQueueSize: pick("maxQueueSize", 1, 10_000_000),
    // The server accepts at most 10,000 commands per batch by default.
    maxBatchSize: pick("maxBatchSize", 1, 10_000),
    maxBatchBytes: pick("maxBatchBytes", 1_024, 256 * 1024 * 1024),
    flushIntervalMs: pick("flushIntervalMs", 1, 600_000),
    maxAttempts: pick("maxAttempts", 1, 1_000),
    initialBackoffMs: pick("initialBackoffMs", 1, 600_000),
    maxBackoffMs: pick("maxBackoffMs", 1, 3_600_000),
    shutdownTimeoutMs: pick("shutdownTimeoutMs", 0, 3_600_000),
    batchSizeRecheckMs: pick("batchSizeRecheckMs", 1, 86_400_000),
    warn,
  };
  if (resolved.maxBatchSize > resolved.maxQueueSize) problems.push(`batch.maxBatchSize (${resolved.maxBatchSize}) must not exceed batch.maxQueueSize (${resolved.maxQueueSize})`);
  if (resolved.maxBackoffMs < resolved.initialBackoffMs) problems.push(`batch.maxBackoffMs (${resolved.maxBackoffMs}) must not be below batch.initialBackoffMs (${resolved.initialBackoffMs})`);
  return resolved;
}

/** "k=v,k2=v2" with percent-encoded values, as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS use. */
function parseKeyValueList(raw: string | undefined, name: string, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const item of raw.split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    const key = eq < 0 ? "" : item.slice(0, eq).trim();
    if (key === "") {
      problems.push(`${name} has an entry without a key: ${JSON.stringify(item)} (expected key=value,key2=value2)`);
      continue;
    }
    try {
      out[key] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      problems.push(`${name} has a value that is not valid percent-encoding: ${JSON.stringify(item)}`);
    }
  }
  return out;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

function isRate(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;
}

function defaultWarn(message: string): void {
  console.warn(message);
}

/** An environment variable's value, trimmed; undefined when unset or blank. */
function setting(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  return nonEmpty(env[name]) ? env[name]!.trim() : undefined;
}
