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
// error ids are the event's position among the span's events, named as the
// server's OTLP ingest names them, so a resent batch is recognised, and so is
// the same span reported by a stock OTLP exporter beside this processor. Only
// sampled spans are sent, as OTel's own exporters do.
//
// Only types are imported from OpenTelemetry: the SDK does not need it installed
// unless this processor is used.

import type { Context, HrTime, Link, SpanContext as OtelSpanContext } from "@opentelemetry/api";
import type { ReadableSpan, Span as OtelSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { AttributeValue, Attributes } from "../commands/attributes.js";
import { createResource, type Resource } from "../commands/resource.js";
import type { RecordErrorCommand, SpanKindNumber, SpanLinkData, StartSpanCommand, StatusCodeNumber } from "../commands/span-command.js";
import { DEFAULT_SERVICE_NAME, resolveExportConfig, type ExportOptions } from "../config/tracer-config.js";
import type { CommandSink, TracingStats } from "../export/command-sink.js";
import { createSink } from "../export/create-sink.js";
import { isValidSpanId, isValidTraceId, TraceFlags } from "../w3c/span-context.js";

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
  /** Ours until the sink seals it: its links too may still change (OTel's addLink after the start). */
  readonly command: StartSpanCommand & { links?: readonly SpanLinkData[] };
  readonly attributes: Readonly<Record<string, unknown>>;
}

const EXCEPTION_EVENT = "exception";

/**
 * The key under which OpenTelemetry's context holds its span: @opentelemetry/api makes
 * its keys with Symbol.for(description), so this reads it without importing the API at run time.
 */
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

type ErrorFields = Pick<RecordErrorCommand, "errorType" | "message" | "stacktrace" | "escaped" | "attributes">;

export class TraceledgerSpanProcessor implements SpanProcessor {
  private readonly sink: CommandSink;
  private readonly started = new WeakMap<object, Started>();
  /** The spans whose start this processor sent (kept after they end: a later child may name them). */
  private readonly sent = new WeakSet<object>();
  private readonly resources = new WeakMap<object, Resource>();
  private readonly serviceName: string | undefined;

  constructor(options: TraceledgerSpanProcessorOptions = {}) {
    this.sink = createSink(resolveExportConfig(options));
    this.serviceName = options.serviceName;
  }

  onStart(span: OtelSpan, parentContext: Context): void {
    try {
      const context = span.spanContext();
      if ((context.traceFlags & 1) === 0) return;
      const command = this.startCommand(span, context, this.isSentParent(span, parentContext));
      this.started.set(span, { command, attributes: { ...span.attributes } });
      this.sent.add(span);
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
        // Started before this processor was added: send the start now. Its parent's context
        // is gone, so the parent goes as remote, which the server takes whatever it knows of it.
        started = { command: this.startCommand(span, context, false), attributes: {} };
        this.sent.add(span);
        this.sink.submit(started.command);
      }
      this.started.delete(span);
      const { traceId, spanId } = context;
      let endAttributes: Attributes | undefined;
      if (!started.command.sealed) {
        // The start has not left yet: it can carry the final name, attributes and links
        // (span.addLink after the start). Once it has left, later links are lost: EndSpan has none.
        started.command.name = nameOf(span.name);
        started.command.attributes = { ...(span.attributes as Attributes) };
        started.command.links = linksOf(span.links);
      } else {
        endAttributes = changedAttributes(started.attributes, span.attributes as Attributes);
      }
      span.events.forEach((event, index) => {
        const attributes = (event.attributes ?? {}) as Attributes;
        const id = eventId(index);
        const timeUnixNano = hrTimeToNanos(event.time);
        if (event.name === EXCEPTION_EVENT) {
          this.sink.submit({ type: "recordError", traceId, spanId, errorId: id, timeUnixNano, ...errorFields(attributes) });
        } else {
          this.sink.submit({ type: "addSpanEvent", traceId, spanId, eventId: id, timeUnixNano, name: nameOf(event.name), attributes });
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

  /**
   * Whether the span's parent is a span whose start this processor sent: only such a parent
   * is sure to be on the server, ordered before the child. Any other (one the sampler left
   * out, a context set by hand without isRemote, a span of a provider without this
   * processor) goes as remote: sent as local, it would cost the span its start
   * (PARENT_SPAN_NOT_FOUND) and with it the whole subtree.
   */
  private isSentParent(span: ReadableSpan, parentContext: Context | undefined): boolean {
    const parentSpanId = span.parentSpanContext?.spanId;
    if (parentSpanId === undefined) return false;
    const parent = parentContext?.getValue(SPAN_KEY);
    if (typeof parent !== "object" || parent === null || !this.sent.has(parent)) return false;
    // The span the context holds is the parent OTel picked, unless the tracer was told otherwise.
    return (parent as OtelSpan).spanContext().spanId === parentSpanId;
  }

  private startCommand(span: ReadableSpan, context: OtelSpanContext, parentSent: boolean): StartSpanCommand {
    const parent = span.parentSpanContext;
    const resourceAttributes = (span.resource?.attributes ?? {}) as Attributes;
    const serviceName = this.serviceNameOf(resourceAttributes["service.name"]);
    return {
      type: "startSpan",
      traceId: context.traceId,
      spanId: context.spanId,
      parentSpanId: parent?.spanId ?? "",
      parentIsRemote: parent !== undefined && !parentSent,
      tracestate: context.traceState?.serialize() ?? "",
      name: nameOf(span.name),
      kind: Math.min(5, Math.max(1, span.kind + 1)) as SpanKindNumber,
      serviceName,
      startTimeUnixNano: hrTimeToNanos(span.startTime),
      attributes: { ...(span.attributes as Attributes) },
      links: linksOf(span.links),
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

/**
 * The id the server's OTLP ingest gives the span's event at `index` (its position among the
 * span's events; apps/server/src/otlp-ingest/span-event-mapping.ts): a stock OTLP exporter
 * beside this processor reports the same span's events, and the server keeps each once,
 * whichever path brings it first.
 */
function eventId(index: number): string {
  return `otlp-${index}`;
}

/**
 * An "exception" event's fields, read as the server's OTLP ingest reads them: a string type,
 * message and stacktrace; escaped by a bool true, or a string "true" that stays among the
 * attributes; anything else stays among the attributes. Under the same id, the same error
 * both ways: an id sent again with other content is refused as reused.
 */
function errorFields(attributes: Attributes): ErrorFields {
  const fields = { errorType: "", message: "", stacktrace: "", escaped: false };
  const rest: Record<string, AttributeValue | null | undefined> = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (key === "exception.type" && typeof value === "string") fields.errorType = value;
    else if (key === "exception.message" && typeof value === "string") fields.message = value;
    else if (key === "exception.stacktrace" && typeof value === "string") fields.stacktrace = value;
    else if (key === "exception.escaped" && value === true) fields.escaped = true;
    else {
      if (key === "exception.escaped" && value === "true") fields.escaped = true;
      rest[key] = value;
    }
  }
  return { ...fields, attributes: rest };
}

/** The span's links the server takes; undefined when there are none. */
function linksOf(links: readonly Link[]): SpanLinkData[] | undefined {
  return links.length === 0 ? undefined : links.filter(isRecordedLink).map(toLinkData);
}

/**
 * OTel records a link to an invalid span context (e.g. INVALID_SPAN_CONTEXT, when nothing was
 * extracted): the server refuses a StartSpan carrying one that says nothing else (INVALID_SPAN_ID),
 * losing the span and its children, so such a link is dropped, as the SDK's own tracer drops it.
 * One with attributes or a tracestate the server stores (OTel's API says to record it), as long
 * as its ids have an id's length or none.
 */
function isRecordedLink(link: Link): boolean {
  const { traceId, spanId, traceState } = link.context;
  if (isValidTraceId(traceId) && isValidSpanId(spanId)) return true;
  const saysSomething = hasAttribute(link.attributes as Attributes | undefined) || (traceState?.serialize() ?? "") !== "";
  return saysSomething && (traceId.length === 0 || traceId.length === 32) && (spanId.length === 0 || spanId.length === 16);
}

/** At least one attribute that goes on the wire (the encoder skips null, undefined and a blank key). */
function hasAttribute(attributes: Attributes | undefined): boolean {
  for (const key in attributes) if (key !== "" && attributes[key] !== undefined && attributes[key] !== null) return true;
  return false;
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
