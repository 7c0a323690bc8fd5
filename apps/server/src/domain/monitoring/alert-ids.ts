// Alert ids are derived from the kind, the subject and what triggered the
// alert, never from a clock or a counter: a replay, or a second instance after
// a failover, derives the same id and the monitoring stream keeps one alert.
// Names are URI-encoded so a ':' in a service name cannot make two subjects
// share an id; trace and span ids are hex already. A name longer than
// MAX_COMPONENT once encoded keeps its head and a digest of the whole: the
// alert listing keys alerts by id, and PostgreSQL's btree takes ~2.7 KB at most.

import { textDigest } from "../trace/content-digest.js";

const MAX_COMPONENT = 600;

function component(name: string): string {
  const encoded = encodeURIComponent(name);
  if (encoded.length <= MAX_COMPONENT) return encoded;
  // Two 32-bit digests (the second of the text with a marker): 64 bits tell long names apart.
  return `${encoded.slice(0, MAX_COMPONENT - 18)}~${textDigest(encoded).padStart(8, "0")}${textDigest(`${encoded}\u0001`).padStart(8, "0")}`;
}

export function slowSpanAlertId(traceId: string, spanId: string): string {
  return `slow_span:${traceId}:${spanId}`;
}

export function slowTraceAlertId(traceId: string): string {
  return `slow_trace:${traceId}`;
}

/** One per recorded error: the aggregate accepts an error id once per span. */
export function criticalErrorAlertId(traceId: string, spanId: string, errorId: string): string {
  return `critical_error:${traceId}:${spanId}:${component(errorId)}`;
}

/** One per episode: the errored span that took the rate over the threshold names it. */
export function serviceErrorRateAlertId(service: string, traceId: string, spanId: string): string {
  return `error_rate:service:${component(service)}:${traceId}:${spanId}`;
}

export function operationErrorRateAlertId(service: string, operation: string, traceId: string, spanId: string): string {
  return `error_rate:operation:${component(service)}:${component(operation)}:${traceId}:${spanId}`;
}

/** One per episode: the first anomalous span names it. */
export function latencyAnomalyAlertId(service: string, operation: string, traceId: string, spanId: string): string {
  return `latency_anomaly:${component(service)}:${component(operation)}:${traceId}:${spanId}`;
}
