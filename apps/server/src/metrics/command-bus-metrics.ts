// Feeds span and append metrics from the command bus. It runs on the write
// path, synchronously after each commit, so it reads what the bus already has
// (the trace state the events produced) and decodes nothing. Series handles
// are cached per label set, so a span costs map lookups, not allocations. The
// cache is keyed by the label values (names cut by labelValue) and holds no
// overflow series, so it stays as small as the span metrics' own series map.

import type { TraceCommandBusObserver } from "../commands/trace-command-bus.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import type { TraceState } from "../domain/trace/trace-state.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import type { ServerMetrics, SpanSeries } from "./server-metrics.js";
import { labelValue } from "./label-value.js";
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

  private seriesOf(fullService: string, fullName: string, kind: number, code: number): SpanSeries {
    // Cut here too: the cache would otherwise hold each whole (up to megabytes) name as a key.
    const service = labelValue(fullService);
    const name = labelValue(fullName);
    // OTLP keeps enum values this server does not know: any number, so not packed into one.
    const key = `${kind}:${code}`;
    const cached = this.series.get(service)?.get(name)?.get(key);
    if (cached) return cached;
    const series = this.metrics.spanSeries({ service_name: service, span_name: name, span_kind: spanKindLabel(kind), status_code: statusCodeLabel(code) });
    // Past the cap every new label set gets the one overflow series: caching it under each would grow without bound.
    if (series.overflow) return series;
    let byName = this.series.get(service);
    if (!byName) this.series.set(service, (byName = new Map()));
    let byKindAndCode = byName.get(name);
    if (!byKindAndCode) byName.set(name, (byKindAndCode = new Map()));
    byKindAndCode.set(key, series);
    return series;
  }
}
