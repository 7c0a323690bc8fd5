// Alert ids are derived from the kind, the subject and what triggered the
// alert, never from a clock or a counter: a replay, or a second instance after
// a failover, derives the same id and the monitoring stream keeps one alert.
// Names are URI-encoded so a ':' in a service name cannot make two subjects
// share an id; trace and span ids are hex already.

export function slowSpanAlertId(traceId: string, spanId: string): string {
  return `slow_span:${traceId}:${spanId}`;
}

export function slowTraceAlertId(traceId: string): string {
  return `slow_trace:${traceId}`;
}

/** One per recorded error: the aggregate accepts an error id once per span. */
export function criticalErrorAlertId(traceId: string, spanId: string, errorId: string): string {
  return `critical_error:${traceId}:${spanId}:${encodeURIComponent(errorId)}`;
}

/** One per episode: the errored span that took the rate over the threshold names it. */
export function serviceErrorRateAlertId(service: string, traceId: string, spanId: string): string {
  return `error_rate:service:${encodeURIComponent(service)}:${traceId}:${spanId}`;
}

export function operationErrorRateAlertId(service: string, operation: string, traceId: string, spanId: string): string {
  return `error_rate:operation:${encodeURIComponent(service)}:${encodeURIComponent(operation)}:${traceId}:${spanId}`;
}

/** One per episode: the first anomalous span names it. */
export function latencyAnomalyAlertId(service: string, operation: string, traceId: string, spanId: string): string {
  return `latency_anomaly:${encodeURIComponent(service)}:${encodeURIComponent(operation)}:${traceId}:${spanId}`;
}
