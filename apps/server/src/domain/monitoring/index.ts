// The DistributedTracingSaga's pure core: what its runner (subscriber, lease,
// RPCs, metrics, webhook) needs, and nothing else.

export { distributedTracingSaga, handleMonitoringInput } from "./distributed-tracing-saga.js";
export type { DistributedTracingSaga } from "./distributed-tracing-saga.js";
export { decideMonitoring } from "./monitoring-decide.js";
export { evolveMonitoring, forgetTraces, initialMonitoringState, spanIdHex, tracesWithOpenAlerts } from "./monitoring-state.js";
export type { ActiveSpan, MonitoringState } from "./monitoring-state.js";
export { DEFAULT_MAX_OPERATIONS, DEFAULT_MONITORING_CONFIG, MAX_ERROR_RATE_BUCKETS, monitoringConfig, slowSpanThresholdNs } from "./monitoring-config.js";
export type { AnomalyConfig, ErrorRateConfig, MonitoringConfig, MonitoringConfigInput, SlowSpanThresholds } from "./monitoring-config.js";
export type { MonitoringInput, Tick, TraceEventRecorded } from "./monitoring-input.js";
export type { SagaSpanId, SagaTraceEvent } from "./saga-trace-event.js";
export type { MonitoringCommand, MonitoringOutput } from "./monitoring-output.js";
export type {
  AlertKind,
  AlertRaised,
  AlertResolved,
  AlertSubject,
  Exemplar,
  MonitoringEvent,
  OperationSubject,
  ResolveReason,
  ServiceSubject,
  SpanSubject,
  TraceSubject,
} from "./monitoring-events.js";
export { activeSpans, activeSpanView } from "./active-spans.js";
export { boundedText, MAX_MONITORED_TEXT_BYTES } from "./bounded-text.js";
export type { ActiveSpanView } from "./active-spans.js";
export { pendingCommands } from "./pending-commands.js";
export { adoptStoredAlerts, foldStoredAlert, forgetAlertsNotStored } from "./stored-alerts.js";
