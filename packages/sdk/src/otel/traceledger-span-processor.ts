// The OpenTelemetry bridge: a SpanProcessor for @opentelemetry/sdk-trace-base
// (v2) that sends each span's start and end through traceledger's lifecycle API,
// so an application instrumented with OpenTelemetry shows its spans while they
// run, not only once they end.
//
//   const provider = new BasicTracerProvider({ spanProcessors: [new TraceledgerSpanProcessor()] });
//
// onStart -> StartSpan with the OTel span's own ids, parent, kind, name,
// attributes, links, resource and start time. onEnd -> one RecordError per
// "exception" event, one AddSpanEvent per other event, then EndSpan with the
// status, end time and the attributes that changed since the start. Event and
// error ids are derived from the span and the event's position, so a resent
// batch is recognised. Only sampled spans are sent, as OTel's own exporters do.
//
// Only types are imported from OpenTelemetry: the SDK does not need it installed
// unless this processor is used.

import type { Context, HrTime, Link, SpanContext as OtelSpanContext } from "@opentelemetry/api";
import type { ReadableSpan, Span as OtelSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { AttributeValue, Attributes } from "../commands/attributes.js";
import { createResource, type Resource } from "../commands/resource.js";
import type { SpanKindNumber, SpanLinkData, StartSpanCommand, StatusCodeNumber } from "../commands/span-command.js";
import { DEFAULT_SERVICE_NAME, resolveExportConfig, type ExportOptions } from "../config/tracer-config.js";
import type { CommandSink, TracingStats } from "../export/command-sink.js";
import { createSink } from "../export/create-sink.js";
import { TraceFlags } from "../w3c/span-context.js";

export interface TraceledgerSpanProcessorOptions extends ExportOptions {
  /**
   * The service name when a span's resource has none of its own: no `service.name`,
   * or OpenTelemetry's placeholder `unknown_service:<process>` (which its default
   * resource always carries). The resource sent then carries this name too.
   * Default: that placeholder, else unknown_service:node.
   */
  readonly serviceName?: string;
}

const UNKNOWN_SERVICE = "unknown_service";

interface Started {
  readonly command: StartSpanCommand;
  readonly attributes: Readonly<Record<string, unknown>>;
}

const EXCEPTION_EVENT = "exception";

export class TraceledgerSpanProcessor implements SpanProcessor {
  private readonly sink: CommandSink;
  private readonly started = new WeakMap<object, Started>();
  private readonly resources = new WeakMap<object, Resource>();
  private readonly serviceName: string | undefined;

  constructor(options: TraceledgerSpanProcessorOptions = {}) {
    this.sink = createSink(resolveExportConfig(options));
    this.serviceName = options.serviceName;
  }

  onStart(span: OtelSpan, _parentContext: Context): void {
    try {
      const context = span.spanContext();
      if ((context.traceFlags & 1) === 0) return;
      const command = this.startCommand(span, context);
      this.started.set(span, { command, attributes: { ...span.attributes } });
      this.sink.submit(command);
    } catch {
      // An instrumentation hook must never throw into the application.
    }
  }

  onEnd(span: ReadableSpan): void {
    try {
      const context = span.spanContext();
      if ((context.traceFlags & 1) === 0) return;
      let started = this.started.get(span);
      if (started === undefined) {
        // Started before this processor was added: send the start now.
        started = { command: this.startCommand(span, context), attributes: {} };
        this.sink.submit(started.command);
      }
      this.started.delete(span);
      const { traceId, spanId } = context;
      let endAttributes: Attributes | undefined;
      if (!started.command.sealed) {
        // The start has not left yet: it can carry the final name and attributes.
        started.command.name = nameOf(span.name);
        started.command.attributes = { ...(span.attributes as Attributes) };
      } else {
        endAttributes = changedAttributes(started.attributes, span.attributes as Attributes);
      }
      span.events.forEach((event, index) => {
        const attributes = (event.attributes ?? {}) as Attributes;
        if (event.name === EXCEPTION_EVENT) {
          const { ["exception.type"]: type, ["exception.message"]: message, ["exception.stacktrace"]: stack, ["exception.escaped"]: escaped, ...rest } = attributes;
          this.sink.submit({
            type: "recordError",
            traceId,
            spanId,
            errorId: `otel-exception-${index}`,
            timeUnixNano: hrTimeToNanos(event.time),
            errorType: typeof type === "string" ? type : "",
            message: typeof message === "string" ? message : "",
            stacktrace: typeof stack === "string" ? stack : "",
            escaped: escaped === true,
            attributes: rest,
          });
        } else {
          this.sink.submit({
            type: "addSpanEvent",
            traceId,
            spanId,
            eventId: `otel-event-${index}`,
            timeUnixNano: hrTimeToNanos(event.time),
            name: nameOf(event.name),
            attributes,
          });
        }
      });
      this.sink.submit({
        type: "endSpan",
        traceId,
        spanId,
        endTimeUnixNano: hrTimeToNanos(span.endTime),
        statusCode: (span.status.code === 1 || span.status.code === 2 ? span.status.code : 0) as StatusCodeNumber,
        statusMessage: span.status.code === 2 ? (span.status.message ?? "") : "",
        endReason: 0,
        attributes: endAttributes,
        // Instrumentations often name a span only as it ends (an HTTP server span's route).
        // A blank name would get the whole end refused: the span keeps the name it started with.
        name: started.command.sealed && span.name.trim() !== "" && span.name !== started.command.name ? span.name : undefined,
      });
    } catch {
      // Never throw into the application.
    }
  }

  forceFlush(): Promise<void> {
    return this.sink.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.sink.shutdown();
  }

  /** Counters of the commands sent, dropped, failed and retried. */
  stats(): TracingStats {
    return this.sink.stats();
  }

  private startCommand(span: ReadableSpan, context: OtelSpanContext): StartSpanCommand {
    const parent = span.parentSpanContext;
    const resourceAttributes = (span.resource?.attributes ?? {}) as Attributes;
    const serviceName = this.serviceNameOf(resourceAttributes["service.name"]);
    return {
      type: "startSpan",
      traceId: context.traceId,
      spanId: context.spanId,
      parentSpanId: parent?.spanId ?? "",
      parentIsRemote: parent?.isRemote === true,
      tracestate: context.traceState?.serialize() ?? "",
      name: nameOf(span.name),
      kind: Math.min(5, Math.max(1, span.kind + 1)) as SpanKindNumber,
      serviceName,
      startTimeUnixNano: hrTimeToNanos(span.startTime),
      attributes: { ...(span.attributes as Attributes) },
      links: span.links.map(toLinkData),
      resource: this.resourceFor(
        span.resource,
        resourceAttributes["service.name"] === serviceName ? resourceAttributes : { ...resourceAttributes, "service.name": serviceName },
      ),
      scopeName: span.instrumentationScope?.name ?? "",
      scopeVersion: span.instrumentationScope?.version ?? "",
      randomTraceId: (context.traceFlags & TraceFlags.RANDOM_TRACE_ID) !== 0,
      sealed: false,
    };
  }

  /**
   * The resource's `service.name`, unless it has none: absent, blank, or OTel's
   * placeholder (`unknown_service`, `unknown_service:<process>`). Then the
   * serviceName option, else the placeholder, else unknown_service:node.
   */
  private serviceNameOf(named: unknown): string {
    const valid = typeof named === "string" && named.trim() !== "";
    if (valid && !named.startsWith(UNKNOWN_SERVICE)) return named;
    return this.serviceName ?? (valid ? named : DEFAULT_SERVICE_NAME);
  }

  private resourceFor(key: object | undefined, attributes: Attributes): Resource {
    // A resource whose detectors have not settled (host.id and the like come later) is not
    // kept: the spans started once they have settled must carry the whole resource.
    if (key === undefined || (key as { asyncAttributesPending?: boolean }).asyncAttributesPending === true) return createResource(attributes);
    let resource = this.resources.get(key);
    if (resource === undefined) {
      resource = createResource(attributes);
      this.resources.set(key, resource);
    }
    return resource;
  }
}

function hrTimeToNanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

function toLinkData(link: Link): SpanLinkData {
  return {
    traceId: link.context.traceId,
    spanId: link.context.spanId,
    traceFlags: link.context.traceFlags,
    ...(link.context.traceState ? { traceState: link.context.traceState.serialize() } : {}),
    ...(link.attributes ? { attributes: link.attributes as Attributes } : {}),
  };
}

/** The attributes whose value is new or different at the end. */
function changedAttributes(before: Readonly<Record<string, unknown>>, after: Attributes): Attributes | undefined {
  let changed: Record<string, AttributeValue | null | undefined> | undefined;
  for (const key in after) {
    const value = after[key];
    if (!sameValue(before[key], value)) (changed ??= {})[key] = value;
  }
  return changed;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((v, i) => v === b[i]);
}

/** OTel allows any name; traceledger refuses a blank one (and every later command of the span with it). */
function nameOf(name: string): string {
  return name.trim() === "" ? "(unnamed)" : name;
}
