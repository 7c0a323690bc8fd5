// Feeds span and append metrics from the command bus. It runs on the write
// path, synchronously after each commit, so it reads what the bus already has
// (the trace state the events produced) and decodes nothing. Series handles
// are cached per label set, so a span costs map lookups, not allocations.

import type { TraceCommandBusObserver } from "../commands/trace-command-bus.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import type { TraceState } from "../domain/trace/trace-state.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import type { ServerMetrics, SpanSeries } from "./server-metrics.js";
import { spanKindLabel, statusCodeLabel } from "./span-label-values.js";

export class CommandBusMetrics implements TraceCommandBusObserver {
  /** service -> span name -> kind and status -> series. */
  private readonly series = new Map<string, Map<string, Map<string, SpanSeries>>>();

  constructor(private readonly metrics: ServerMetrics) {}

  appended(seconds: number, events: number): void {
    this.metrics.observeAppend(seconds, events);
  }

  committed(state: TraceState, events: readonly TraceEventCase[]): void {
    for (const event of events) {
      if (event.case === "spanEnded") {
        const span = state.spans.get(bytesToHex(event.value.spanId));
        if (span?.status !== "ended") continue;
        const nanos = span.endTime - span.startTime;
        const seconds = nanos > 0n ? Number(nanos) / 1e9 : 0;
        this.seriesOf(span.serviceName, span.endName || span.name, span.kind, span.statusCode).record(seconds);
      } else if (event.case === "spanOrphaned") {
        const span = state.spans.get(bytesToHex(event.value.spanId));
        if (span) this.metrics.spanOrphaned(span.serviceName, span.name);
      }
    }
  }

  private seriesOf(service: string, name: string, kind: number, code: number): SpanSeries {
    let byName = this.series.get(service);
    if (!byName) this.series.set(service, (byName = new Map()));
    let byKindAndCode = byName.get(name);
    if (!byKindAndCode) byName.set(name, (byKindAndCode = new Map()));
    // OTLP keeps enum values this server does not know: any number, so not packed into one.
    const key = `${kind}:${code}`;
    let series = byKindAndCode.get(key);
    if (!series) {
      series = this.metrics.spanSeries({ service_name: service, span_name: name, span_kind: spanKindLabel(kind), status_code: statusCodeLabel(code) });
      byKindAndCode.set(key, series);
    }
    return series;
  }
}
