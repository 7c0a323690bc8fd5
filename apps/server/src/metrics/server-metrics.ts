// The server's Prometheus metrics, on a registry of its own so that several
// servers in one process (tests) or a host app's own metrics never collide.
// Span metrics use the names of the OpenTelemetry Collector's spanmetrics
// connector, so dashboards and tools built for it (Grafana, Jaeger's SPM)
// read ours unchanged; the rest carry a traceledger_ prefix.
// docs/operations.md documents every metric; the choices are argued there.

import { LabelledCounter } from "./labelled-counter.js";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { labelValue } from "./label-value.js";
import { DEFAULT_MAX_SPAN_SERIES, SpanMetrics, type SpanLabels, type SpanSeries } from "./span-metrics.js";

export type { SpanLabels, SpanSeries } from "./span-metrics.js";

/** Span durations: a millisecond to five minutes, roughly 1-2.5-5 per decade. */
export const SPAN_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/** One group commit to PostgreSQL: a hundred microseconds to five seconds. */
export const APPEND_DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

interface ServerMetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop, GC) under their usual names. Default true. */
  readonly processMetrics?: boolean;
  /** Label sets calls_total and duration_seconds keep apart; the rest share one otel_metric_overflow="true" series. Default DEFAULT_MAX_SPAN_SERIES. */
  readonly maxSpanSeries?: number;
}

export class ServerMetrics {
  private readonly registry = new Registry();
  private readonly spans: SpanMetrics;
  private readonly orphaned: LabelledCounter<"service_name" | "span_name">;
  private readonly activeSpans: Gauge;
  private readonly alertsRaised: Counter<"kind">;
  private readonly alertsResolved: Counter<"kind">;
  private readonly alertsOpen: Gauge<"kind">;
  private readonly monitoringStatsEvicted: Counter;
  private readonly subscriberLag: Gauge<"subscriber">;
  private readonly appendDuration: Histogram;
  private readonly eventsAppended: Counter;
  private readonly logEventsRead: Counter<"source">;
  private readonly tracesExpired: Counter;
  private readonly eventsExpired: Counter;
  private readonly alertsExpired: Counter;
  private readonly otlpExportSpans: Counter<"outcome" | "reason">;
  private readonly otlpExportRetries: Counter<"reason">;
  private readonly otlpExportSampledOut: Counter;
  private readonly openAlerts = new Map<string, number>();

  constructor(options: ServerMetricsOptions = {}) {
    const registers = [this.registry];
    this.spans = new SpanMetrics(SPAN_DURATION_BUCKETS, options.maxSpanSeries ?? DEFAULT_MAX_SPAN_SERIES);
    this.orphaned = new LabelledCounter(["service_name", "span_name"], options.maxSpanSeries ?? DEFAULT_MAX_SPAN_SERIES);
    this.registry.registerMetric(this.spans.callsMetric("calls_total", "Spans that ended, committed by this replica (spanmetrics connector naming)."));
    this.registry.registerMetric(
      this.spans.durationMetric("duration_seconds", "Durations of the spans counted in calls_total, in seconds (spanmetrics connector naming, unit s)."),
    );
    this.registry.registerMetric(
      this.orphaned.metric("traceledger_spans_orphaned_total", "Spans closed as orphans (never ended by their service), committed by this replica."),
    );
    this.activeSpans = new Gauge({
      name: "traceledger_active_spans",
      help: "Spans started and not yet ended, as tracked by the monitoring saga (set by its running instance).",
      registers,
    });
    this.alertsRaised = new Counter({
      name: "traceledger_alerts_raised_total",
      help: "Alerts raised by the monitoring saga, by kind.",
      labelNames: ["kind"],
      registers,
    });
    this.alertsResolved = new Counter({
      name: "traceledger_alerts_resolved_total",
      help: "Alerts resolved by the monitoring saga, by kind.",
      labelNames: ["kind"],
      registers,
    });
    this.alertsOpen = new Gauge({
      name: "traceledger_alerts_open",
      help: "Alerts raised and not yet resolved, by kind.",
      labelNames: ["kind"],
      registers,
    });
    this.monitoringStatsEvicted = new Counter({
      name: "traceledger_monitoring_stats_evicted_total",
      help: "Statistics of services and operations (error-rate window, latency baseline) the monitoring saga forgot to stay within MONITORING_MAX_OPERATIONS, counted by the replica that runs it.",
      registers,
    });
    this.subscriberLag = new Gauge({
      name: "traceledger_subscriber_lag_seconds",
      help: "How far a log subscriber is behind: the age of the newest event it applied, when it applied it; 0 when it found nothing new.",
      labelNames: ["subscriber"],
      registers,
    });
    this.appendDuration = new Histogram({
      name: "traceledger_event_store_append_duration_seconds",
      help: "Wall time of one group commit (EventStore.appendMany) that succeeded.",
      buckets: [...APPEND_DURATION_BUCKETS],
      registers,
    });
    this.eventsAppended = new Counter({
      name: "traceledger_events_appended_total",
      help: "Events written by the group commits timed in traceledger_event_store_append_duration_seconds.",
      registers,
    });
    this.logEventsRead = new Counter({
      name: "traceledger_log_events_read_total",
      help: "Events the global log read (readAll) handed to this replica's subscribers, by source: database, or window (pages kept in memory after another subscriber read them).",
      labelNames: ["source"],
      registers,
    });
    // Both sources from the start, at 0: a series that appears only with its first event
    // hides that first increase from rate(), and a server without the window exports none.
    for (const source of ["database", "window"]) this.logEventsRead.inc({ source }, 0);
    this.tracesExpired = new Counter({
      name: "traceledger_retention_traces_deleted_total",
      help: "Traces this replica deleted because their last event was older than TRACELEDGER_RETENTION.",
      registers,
    });
    this.eventsExpired = new Counter({
      name: "traceledger_retention_events_deleted_total",
      help: "Events of the traces in traceledger_retention_traces_deleted_total.",
      registers,
    });
    this.alertsExpired = new Counter({
      name: "traceledger_retention_alerts_deleted_total",
      help: "Resolved alerts this replica deleted (both events, the ListAlerts row) because they were resolved longer ago than TRACELEDGER_ALERT_RETENTION.",
      registers,
    });
    // The OTLP exporter's counts: they move on the replica that holds its lease, while it does.
    // Labels are kinds from short fixed lists, never a collector's own message.
    this.otlpExportSpans = new Counter({
      name: "traceledger_otlp_export_spans_total",
      help: "Spans the OTLP exporter settled, by outcome: exported (the collector accepted them), dropped (refused for good; reason: http_400, grpc_invalid_argument, partial_success, local, ...), resent (sent again though the collector may already have them, also counted in exported or dropped; reason: ambiguous_retry or redelivered).",
      labelNames: ["outcome", "reason"],
      registers,
    });
    // From the start, at 0: rate() then sees the first export (see traceledger_log_events_read_total).
    this.otlpExportSpans.inc({ outcome: "exported" }, 0);
    this.otlpExportRetries = new Counter({
      name: "traceledger_otlp_export_retries_total",
      help: "OTLP export requests that failed in a retryable way and are sent again, by reason: http_429, http_502, http_503, http_504, grpc_<code> (grpc_unavailable, ...), network, timeout.",
      labelNames: ["reason"],
      registers,
    });
    this.otlpExportSampledOut = new Counter({
      name: "traceledger_otlp_export_traces_sampled_out_total",
      help: "Completed traces the OTLP exporter's tail sampling kept from leaving.",
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The Content-Type of render()'s text: Prometheus text exposition 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The series of these labels; hot paths keep it to record ended spans (SpanEnded committed) into without a lookup each. */
  spanSeries(labels: SpanLabels): SpanSeries {
    return this.spans.seriesOf(labels);
  }

  /** A span was closed as an orphan; it has no status or meaningful duration, so it is not a call. */
  spanOrphaned(serviceName: string, spanName: string): void {
    this.orphaned.inc({ service_name: labelValue(serviceName), span_name: labelValue(spanName) });
  }

  /** The global log handed out `events` events, read from PostgreSQL or taken from the read window. */
  logRead(events: number, fromWindow: boolean): void {
    this.logEventsRead.inc({ source: fromWindow ? "window" : "database" }, events);
  }

  /** Expired traces deleted (retention). */
  tracesDeleted(traces: number, events: number): void {
    this.tracesExpired.inc(traces);
    this.eventsExpired.inc(events);
  }

  alertsDeleted(alerts: number): void {
    this.alertsExpired.inc(alerts);
  }

  /** OTLP export: spans the collector accepted. */
  otlpSpansExported(count: number): void {
    this.otlpExportSpans.inc({ outcome: "exported" }, count);
  }

  /** OTLP export: spans refused for good; `reason` a kind from a short fixed list (http_400, partial_success, ...). */
  otlpSpansDropped(count: number, reason: string): void {
    this.otlpExportSpans.inc({ outcome: "dropped", reason }, count);
  }

  /** OTLP export: spans sent again that the collector may already have (`reason`: ambiguous_retry or redelivered). */
  otlpSpansResent(count: number, reason: string): void {
    this.otlpExportSpans.inc({ outcome: "resent", reason }, count);
  }

  /** OTLP export: one retry of a request; `reason` a kind from a short fixed list (http_503, grpc_unavailable, network, timeout). */
  otlpExportRetried(reason: string): void {
    this.otlpExportRetries.inc({ reason });
  }

  otlpTracesSampledOut(count: number): void {
    this.otlpExportSampledOut.inc(count);
  }

  /** One successful group commit: its wall time and how many events it wrote. */
  observeAppend(seconds: number, events: number): void {
    this.appendDuration.observe(seconds);
    this.eventsAppended.inc(events);
  }

  setActiveSpans(count: number): void {
    this.activeSpans.set(count);
  }

  alertRaised(kind: string): void {
    this.alertsRaised.inc({ kind });
    this.setOpenAlertsOf(kind, (this.openAlerts.get(kind) ?? 0) + 1);
  }

  alertResolved(kind: string): void {
    this.alertsResolved.inc({ kind });
    this.setOpenAlertsOf(kind, Math.max(0, (this.openAlerts.get(kind) ?? 0) - 1));
  }

  /**
   * Sets the open-alert gauge outright, for a runner that knows all its open
   * alerts (after replay, or on taking over from another replica) without
   * counting raises and resolutions it did not witness. A kind this replica
   * showed before and `countsByKind` leaves out drops to 0.
   */
  setOpenAlerts(countsByKind: ReadonlyMap<string, number>): void {
    for (const kind of this.openAlerts.keys()) if (!countsByKind.has(kind)) this.setOpenAlertsOf(kind, 0);
    for (const [kind, count] of countsByKind) this.setOpenAlertsOf(kind, count);
  }

  private setOpenAlertsOf(kind: string, count: number): void {
    this.openAlerts.set(kind, count);
    this.alertsOpen.set({ kind }, count);
  }

  /** The saga's leader let `count` statistics go past MONITORING_MAX_OPERATIONS. */
  statsEvicted(count: number): void {
    this.monitoringStatsEvicted.inc(count);
  }

  setSubscriberLag(subscriber: string, seconds: number): void {
    this.subscriberLag.set({ subscriber }, seconds);
  }
}
