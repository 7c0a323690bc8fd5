// The OTLP exporter's settings, read from the environment with the rest of the
// server's configuration (config/server-config.ts lists them in --help and
// stops the server on a bad value). The standard OTEL_EXPORTER_OTLP_* names are
// honoured where they exist, the signal-specific OTEL_EXPORTER_OTLP_TRACES_* before
// the general ones; OTLP_ENDPOINT, OTLP_PROTOCOL and OTLP_HEADERS (the original
// design's names), and OTLP_COMPRESSION beside them, take precedence over both.
//
// Export runs only when asked for: TRACING_ENABLED is true and either
// OTLP_EXPORT_ENABLED=true or an endpoint variable is set. A development server
// with nothing configured therefore does not retry against a closed port 4318
// forever; OTLP_EXPORT_ENABLED=false turns it off even with an endpoint. The other
// settings are checked only when export runs: an environment shared with
// OpenTelemetry SDKs may hold values they take and we do not (http/json), and
// must not stop a server that exports nothing.

import { isDecimal, isWholeNumber, parseBoolean } from "../config/setting-values.js";
import { takeUrlCredentials, withoutUserinfo } from "../config/url-credentials.js";
import { parseOtlpCompression, type OtlpCompression } from "./otlp-compression.js";
import { OtlpHeadersError, parseOtlpHeaders, unsendableHeaders } from "./otlp-headers.js";
import type { TailSamplingPolicy } from "./tail-sampling.js";

type OtlpProtocol = "http/protobuf" | "grpc";

export interface OtlpExportConfig {
  readonly enabled: boolean;
  /** The full URL requests go to (for gRPC, scheme, host and port), without credentials: safe to log. */
  readonly endpoint: string;
  readonly protocol: OtlpProtocol;
  /** Configured ones, and the endpoint's credentials as `authorization`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: OtlpCompression;
  /** How long one request may take. */
  readonly timeoutMs: number;
  readonly maxBatchSpans: number;
  /** Of the protobuf before compression. */
  readonly maxRequestBytes: number;
  /** The longest a completed trace waits before its export starts (a healthy collector assumed). */
  readonly maxDelayMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** The exporter's lease across replicas: another replica takes over this long after the holder dies. */
  readonly leaseTtlMs: number;
  readonly sampling: TailSamplingPolicy;
}

interface OtlpExportSetting {
  readonly name: string;
  readonly default: string;
  readonly help: string;
}

const DEFAULT_HTTP_ENDPOINT = "http://localhost:4318/v1/traces";
const DEFAULT_GRPC_ENDPOINT = "http://localhost:4317";

/** In the order --help lists them. */
export const OTLP_EXPORT_SETTINGS: readonly OtlpExportSetting[] = [
  { name: "OTLP_EXPORT_ENABLED", default: "", help: "true or false. Unset: export runs when an endpoint variable below is set (and TRACING_ENABLED is true)." },
  { name: "OTLP_ENDPOINT", default: "", help: `Full URL of the collector's traces endpoint; user:password@ in it (percent-encoded) is sent as HTTP Basic authorization. Unset: ${DEFAULT_HTTP_ENDPOINT} (http/protobuf) or ${DEFAULT_GRPC_ENDPOINT} (grpc).` },
  { name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", default: "", help: "Used as OTLP_ENDPOINT when that is unset." },
  { name: "OTEL_EXPORTER_OTLP_ENDPOINT", default: "", help: "Base URL used when both above are unset; http/protobuf appends /v1/traces." },
  { name: "OTLP_PROTOCOL", default: "", help: "http/protobuf or grpc. Unset: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf." },
  { name: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", default: "", help: "Used as OTLP_PROTOCOL when that is unset." },
  { name: "OTEL_EXPORTER_OTLP_PROTOCOL", default: "", help: "Used as OTLP_PROTOCOL when both above are unset." },
  { name: "OTLP_HEADERS", default: "", help: "Headers sent with every export, k1=v1,k2=v2 with percent-encoded values. Unset: OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS." },
  { name: "OTEL_EXPORTER_OTLP_TRACES_HEADERS", default: "", help: "Used as OTLP_HEADERS when that is unset." },
  { name: "OTEL_EXPORTER_OTLP_HEADERS", default: "", help: "Used as OTLP_HEADERS when both above are unset." },
  { name: "OTLP_COMPRESSION", default: "", help: "gzip or none: gzip compresses each request (http/protobuf: the body, Content-Encoding: gzip; grpc: the message, grpc-encoding: gzip). Unset: OTEL_EXPORTER_OTLP_TRACES_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION, else none." },
  { name: "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", default: "", help: "Used as OTLP_COMPRESSION when that is unset." },
  { name: "OTEL_EXPORTER_OTLP_COMPRESSION", default: "", help: "Used as OTLP_COMPRESSION when both above are unset." },
  { name: "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", default: "", help: "Milliseconds one export request may take. Unset: OTEL_EXPORTER_OTLP_TIMEOUT." },
  { name: "OTEL_EXPORTER_OTLP_TIMEOUT", default: "10000", help: "Milliseconds one export request may take, when the variable above is unset." },
  { name: "OTLP_EXPORT_MAX_BATCH_SPANS", default: "512", help: "Most spans in one export request." },
  { name: "OTLP_EXPORT_MAX_REQUEST_BYTES", default: "4000000", help: "Most bytes in one export request, counted before compression; a larger batch is split (collectors refuse messages over 4 MiB by default, counted after they decompress)." },
  { name: "OTLP_EXPORT_MAX_DELAY_MS", default: "1000", help: "Longest a completed trace waits before its export starts (gathers traces into fuller requests)." },
  { name: "OTLP_EXPORT_RETRY_INITIAL_MS", default: "1000", help: "First retry waits up to this (exponential backoff, full jitter) unless the collector says how long." },
  { name: "OTLP_EXPORT_RETRY_MAX_MS", default: "30000", help: "Backoff waits never exceed this; a wait the collector asks for (Retry-After, RetryInfo) is honoured up to 5 minutes (retries never stop: spans wait in the log)." },
  { name: "OTLP_EXPORT_LEASE_MS", default: "15000", help: "Lease of the single exporter across replicas: a replica takes over this long after the holder dies." },
  { name: "OTLP_EXPORT_SAMPLE_RATE", default: "", help: "Share (0 to 1) of traces without errors that are not slow which are exported. Unset: TRACING_SAMPLE_RATE." },
  { name: "OTLP_EXPORT_KEEP_ERRORS", default: "true", help: "Always export traces with an error or an orphaned span." },
  { name: "OTLP_EXPORT_SLOW_TRACE_MS", default: "5000", help: "Always export traces at least this long (milliseconds); 0 turns this off." },
];

interface OtlpExportBase {
  readonly tracingEnabled: boolean;
  readonly sampleRate: number;
}

/**
 * Reads the exporter's settings; appends a message to `problems` for each bad value of a setting
 * in use, and to `warnings` when export was asked for and TRACING_ENABLED=false turns it off
 * (documented, but silent otherwise).
 */
export function loadOtlpExportConfig(env: NodeJS.ProcessEnv, allProblems: string[], base: OtlpExportBase, warnings: string[] = []): OtlpExportConfig {
  // Bad values of the export settings count only when export runs (see the header).
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const withDefault = (name: string): string => read(name) ?? OTLP_EXPORT_SETTINGS.find((s) => s.name === name)!.default;
  const integer = (name: string, min: number, max: number): number => {
    const raw = withDefault(name);
    const value = Number(raw);
    if (!isWholeNumber(raw) || value < min || value > max) {
      problems.push(`${name}=${JSON.stringify(raw)} is not a whole number between ${min} and ${max}`);
      return min;
    }
    return value;
  };
  const boolean = (name: string, raw: string): boolean | undefined => readBoolean(name, raw, problems);

  // Ours first, then the specification's signal-specific name, then its general one.
  const firstSet = (...names: string[]): string => names.find((name) => read(name) !== undefined) ?? names[names.length - 1]!;
  const protocolName = firstSet("OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
  const protocolRaw = read(protocolName) ?? "http/protobuf";
  let protocol: OtlpProtocol = "http/protobuf";
  if (protocolRaw === "grpc" || protocolRaw === "http/protobuf") protocol = protocolRaw;
  else if (protocolRaw === "http/json") problems.push(`${protocolName}=http/json is not supported for export; use http/protobuf or grpc`);
  else problems.push(`${protocolName}=${JSON.stringify(protocolRaw)} must be http/protobuf or grpc`);

  const endpoint = resolveEndpoint(read, protocol, problems);

  const compressionName = firstSet("OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION");
  const compressionRaw = read(compressionName) ?? "none";
  const compression = parseOtlpCompression(compressionRaw);
  if (!compression) problems.push(`${compressionName}=${JSON.stringify(compressionRaw)} must be gzip or none`);

  const headersName = firstSet("OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS");
  let headers: Record<string, string> = {};
  try {
    headers = parseOtlpHeaders(read(headersName) ?? "");
  } catch (error) {
    if (!(error instanceof OtlpHeadersError)) throw error;
    problems.push(`${headersName} is not a list of key=value pairs: ${error.message}`);
  }
  const unsendable = unsendableHeaders(headers, protocol);
  if (unsendable.length > 0) problems.push(`${headersName} has headers ${protocol} export cannot send: ${unsendable.join("; ")}`);
  if (endpoint.authorization !== undefined) {
    // Which one was meant is not ours to guess, and sending the two would be a malformed request.
    if ("authorization" in headers) problems.push(`${endpoint.name} has credentials (user:password@), sent as an authorization header, and ${headersName} sets authorization too: keep one`);
    else headers = { ...headers, authorization: endpoint.authorization };
  }

  const enabledRaw = read("OTLP_EXPORT_ENABLED");
  const asked = enabledRaw === undefined ? endpoint.explicit : (readBoolean("OTLP_EXPORT_ENABLED", enabledRaw, allProblems) ?? false);

  const rateRaw = read("OTLP_EXPORT_SAMPLE_RATE");
  let rate = base.sampleRate;
  if (rateRaw !== undefined) {
    rate = Number(rateRaw);
    if (!isDecimal(rateRaw) || rate > 1) problems.push(`OTLP_EXPORT_SAMPLE_RATE=${JSON.stringify(rateRaw)} must be a number from 0 to 1 in decimal notation (0, 0.25, .5, 1)`);
  }

  const retryInitialMs = integer("OTLP_EXPORT_RETRY_INITIAL_MS", 1, 600_000);
  const retryMaxMs = integer("OTLP_EXPORT_RETRY_MAX_MS", 1, 3_600_000);
  if (retryMaxMs < retryInitialMs) problems.push(`OTLP_EXPORT_RETRY_MAX_MS (${retryMaxMs}) must not be below OTLP_EXPORT_RETRY_INITIAL_MS (${retryInitialMs})`);

  const config: OtlpExportConfig = {
    enabled: base.tracingEnabled && asked,
    endpoint: endpoint.url,
    protocol,
    headers,
    compression: compression ?? "none",
    timeoutMs: integer(firstSet("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"), 1, 600_000),
    maxBatchSpans: integer("OTLP_EXPORT_MAX_BATCH_SPANS", 1, 100_000),
    maxRequestBytes: integer("OTLP_EXPORT_MAX_REQUEST_BYTES", 1024, 1_000_000_000),
    maxDelayMs: integer("OTLP_EXPORT_MAX_DELAY_MS", 10, 600_000),
    retryInitialMs,
    retryMaxMs,
    leaseTtlMs: integer("OTLP_EXPORT_LEASE_MS", 100, 3_600_000),
    sampling: {
      rate,
      keepErrors: boolean("OTLP_EXPORT_KEEP_ERRORS", withDefault("OTLP_EXPORT_KEEP_ERRORS")) ?? true,
      slowTraceMs: integer("OTLP_EXPORT_SLOW_TRACE_MS", 0, 86_400_000),
    },
  };
  if (config.enabled) allProblems.push(...problems);
  if (asked && !base.tracingEnabled) {
    warnings.push("OTLP export is off because TRACING_ENABLED=false (OTLP_EXPORT_ENABLED or an OTLP endpoint variable asks for it); set TRACING_ENABLED=true to export");
  }
  return config;
}

function readBoolean(name: string, raw: string, problems: string[]): boolean | undefined {
  const value = parseBoolean(raw);
  if (value === undefined) problems.push(`${name}=${JSON.stringify(raw)} must be true or false`);
  return value;
}

/**
 * OTLP_ENDPOINT, the traces endpoint and the base endpoint, in that order; else the protocol's
 * default. Credentials in it come back as an authorization header value, not in `url`; messages
 * about it never carry them.
 */
function resolveEndpoint(
  read: (name: string) => string | undefined,
  protocol: OtlpProtocol,
  problems: string[],
): { url: string; explicit: boolean; name?: string; authorization?: string } {
  const full = read("OTLP_ENDPOINT") ? "OTLP_ENDPOINT" : read("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : undefined;
  const baseUrl = read("OTEL_EXPORTER_OTLP_ENDPOINT");
  const name = full ?? (baseUrl ? "OTEL_EXPORTER_OTLP_ENDPOINT" : undefined);
  if (!name) return { url: protocol === "grpc" ? DEFAULT_GRPC_ENDPOINT : DEFAULT_HTTP_ENDPOINT, explicit: false };
  const raw = read(name)!;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name}=${JSON.stringify(withoutUserinfo(raw))} is not a URL (for example ${protocol === "grpc" ? DEFAULT_GRPC_ENDPOINT : DEFAULT_HTTP_ENDPOINT})`);
    return { url: withoutUserinfo(raw), explicit: true };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(`${name}=${JSON.stringify(withoutUserinfo(raw))} must be an http:// or https:// URL`);
  }
  const taken = takeUrlCredentials(url);
  if (taken === "malformed") {
    problems.push(`${name} has a user name or password with a malformed percent-encoding (write a '%' in them as %25)`);
    url.username = "";
    url.password = "";
  } else url = taken.url;
  // The specification's rule for the base endpoint: the signal's path is appended for OTLP/HTTP.
  if (!full && protocol === "http/protobuf") url.pathname = `${url.pathname.replace(/\/$/, "")}/v1/traces`;
  return { url: url.toString(), explicit: true, name, ...(taken !== "malformed" && taken.authorization ? { authorization: taken.authorization } : {}) };
}
