// The Tracer: starts spans, runs code inside them, and reports their lifecycle
// to its sink.
//
// Sampling is parent-based: a span with a parent (local or extracted) follows
// the parent's sampled flag; a new trace is sampled by its id at the configured
// rate (sampling/trace-id-ratio-sampler.ts). An unsampled span still gets its
// own span id and propagates (flag 00), but costs no command. When the SDK is
// disabled every span is a no-op that passes the parent's context through.

import { copyAttributes } from "../commands/attributes.js";
import { createResource, type Resource } from "../commands/resource.js";
import type { SpanKindNumber, SpanLinkData, StartSpanCommand } from "../commands/span-command.js";
import type { TracerConfig } from "../config/tracer-config.js";
import { activeContext, runInContext } from "../context/active-context.js";
import type { CommandSink, TracingStats } from "../export/command-sink.js";
import { newSpanId, newTraceId } from "../ids/random-ids.js";
import type { PropagatedContext } from "../propagation/propagated-context.js";
import type { Sampler } from "../sampling/trace-id-ratio-sampler.js";
import { traceIdRatioSampler } from "../sampling/trace-id-ratio-sampler.js";
import type { Baggage } from "../w3c/baggage.js";
import { isSampled, isValidSpanContext, TraceFlags, type SpanContext } from "../w3c/span-context.js";
import { toUnixNano, type TimeInput } from "./clock.js";
import { errorMessage } from "./error-details.js";
import { INVALID_SPAN_CONTEXT, NonRecordingSpan } from "./non-recording-span.js";
import { RecordingSpan } from "./recording-span.js";
import type { EndSpanOptions, ErrorContext, ParentInput, Span, SpanKind, StartSpanOptions } from "./span.js";
import type { AttributeValue, Attributes } from "../commands/attributes.js";

const KINDS: Record<SpanKind, SpanKindNumber> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

interface ResolvedParent {
  readonly context: SpanContext;
  /** True when the parent's start went through this tracer's own sink (so it is ordered before ours). */
  readonly local: boolean;
  readonly baggage?: Baggage;
}

export class Tracer {
  private readonly sampler: Sampler;
  private readonly resource: Resource;

  constructor(
    private readonly config: TracerConfig,
    private readonly sink: CommandSink,
  ) {
    this.sampler = traceIdRatioSampler(config.sampleRate);
    this.resource = createResource(config.resourceAttributes);
  }

  /** False when TRACING_ENABLED=false (or enabled: false): nothing is recorded or sent. */
  get enabled(): boolean {
    return this.config.enabled;
  }

  get serviceName(): string {
    return this.config.serviceName;
  }

  /** Starts a span; it is not made active (see withSpan). */
  startSpan(name: string, options: StartSpanOptions = {}): Span {
    const parent = this.resolveParent(options.parent);
    if (!this.config.enabled) return parent ? new NonRecordingSpan(parent.context, name) : new NonRecordingSpan(INVALID_SPAN_CONTEXT, name);
    const traceId = parent ? parent.context.traceId : newTraceId();
    const spanId = newSpanId();
    const traceState = parent?.context.traceState;
    const sampled = parent ? isSampled(parent.context) : this.sampler.shouldSample(traceId);
    // A trace id of ours is random; one from a parent is as the parent says.
    const random = parent ? parent.context.traceFlags & TraceFlags.RANDOM_TRACE_ID : TraceFlags.RANDOM_TRACE_ID;
    if (!sampled) return new NonRecordingSpan({ traceId, spanId, traceFlags: random, ...(traceState ? { traceState } : {}) }, name);

    const kind = KINDS[options.kind ?? "internal"] ?? 1;
    const start: StartSpanCommand = {
      type: "startSpan",
      traceId,
      spanId,
      parentSpanId: parent ? parent.context.spanId : "",
      parentIsRemote: parent !== undefined && !parent.local,
      tracestate: traceState !== undefined && traceState.size > 0 ? traceState.serialize() : "",
      name: typeof name === "string" && name.trim() !== "" ? name : "(unnamed)",
      kind,
      serviceName: this.config.serviceName,
      startTimeUnixNano: toUnixNano(options.startTime),
      attributes: copyAttributes(options.attributes),
      links: options.links?.filter((l) => isValidSpanContext(l.context)).map(toLinkData),
      resource: this.resource,
      scopeName: this.config.scopeName,
      scopeVersion: this.config.scopeVersion,
      randomTraceId: random !== 0,
      sealed: false,
    };
    // A start with a remote parent ships at once, ahead of any backlog (export/command-queue.ts).
    this.sink.submit(start);
    return new RecordingSpan(this.sink, start, { traceId, spanId, traceFlags: TraceFlags.SAMPLED | random, ...(traceState ? { traceState } : {}) });
  }

  /** Ends `span` (the same as span.end()). */
  endSpan(span: Span, options?: EndSpanOptions): void {
    span.end(options);
  }

  /**
   * Runs `fn` inside a new span that is active for everything fn does (children
   * pick it as their parent), and ends it when fn returns or its promise
   * settles. What fn throws is recorded (escaped), sets the status to ERROR, and
   * is thrown on unchanged.
   *
   * Any thenable fn returns is awaited inside the span, so the answer is a
   * Promise of its value, typed so: a lazy one, such as a query builder, runs
   * at once and is timed by the span (chain the builder inside fn).
   */
  withSpan<T>(name: string, fn: (span: Span) => PromiseLike<T>, options?: StartSpanOptions): Promise<T>;
  withSpan<T>(name: string, fn: (span: Span) => T, options?: StartSpanOptions): T;
  withSpan<T>(name: string, fn: (span: Span) => T, options: StartSpanOptions = {}): T {
    const span = this.startSpan(name, options);
    const current = activeContext();
    const baggage = isPropagatedContext(options.parent) ? (options.parent.baggage ?? current?.baggage) : current?.baggage;
    return runInContext({ span, ...(baggage ? { baggage } : {}) }, () => {
      let result: T;
      try {
        result = fn(span);
      } catch (error) {
        failSpan(span, error);
        span.end();
        throw error;
      }
      if (isPromiseLike(result)) {
        // Promise.resolve adopts any thenable into a real Promise: one whose then() returns
        // nothing, or throws, still settles the span (and the caller gets a Promise, as typed).
        return Promise.resolve(result).then(
          (value) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            failSpan(span, error);
            span.end();
            throw error;
          },
        ) as T;
      }
      span.end();
      return result;
    });
  }

  /** The active span, whichever tracer started it. */
  activeSpan(): Span | undefined {
    return activeContext()?.span;
  }

  /** Records an error on `context.span`, or else on the active span. */
  recordError(error: unknown, context: ErrorContext & { readonly span?: Span } = {}): void {
    (context.span ?? this.activeSpan())?.recordError(error, context);
  }

  /** Adds an event to `options.span`, or else to the active span. */
  addEvent(name: string, attributes?: Attributes, options: { readonly span?: Span; readonly time?: TimeInput } = {}): void {
    (options.span ?? this.activeSpan())?.addEvent(name, attributes, options.time);
  }

  /** Sets attributes on `options.span`, or else on the active span. */
  setAttributes(attributes: Attributes, options: { readonly span?: Span } = {}): void {
    (options.span ?? this.activeSpan())?.setAttributes(attributes);
  }

  /** Sets one attribute on the active span. */
  setAttribute(key: string, value: AttributeValue): void {
    this.activeSpan()?.setAttribute(key, value);
  }

  /** Ships what is queued; resolves when it is acknowledged or failed (or after timeoutMs). Never rejects. */
  forceFlush(timeoutMs?: number): Promise<void> {
    return this.sink.forceFlush(timeoutMs);
  }

  /** Ships what is queued and stops; later spans are dropped. Never rejects. */
  shutdown(timeoutMs?: number): Promise<void> {
    return this.sink.shutdown(timeoutMs);
  }

  /** Counters of commands sent, dropped, failed and retried. */
  stats(): TracingStats {
    return this.sink.stats();
  }

  private resolveParent(input: ParentInput | undefined): ResolvedParent | undefined {
    if (input === null) return undefined;
    if (input === undefined) {
      const span = activeContext()?.span;
      return span ? this.fromSpan(span) : undefined;
    }
    if (isSpan(input)) return this.fromSpan(input);
    if (isPropagatedContext(input)) {
      return isValidSpanContext(input.spanContext) ? { context: input.spanContext, local: false } : undefined;
    }
    return isValidSpanContext(input) ? { context: input, local: false } : undefined;
  }

  private fromSpan(span: Span): ResolvedParent | undefined {
    const context = span.spanContext();
    if (!isValidSpanContext(context)) return undefined;
    return { context, local: span instanceof RecordingSpan && span.sink === this.sink && context.isRemote !== true };
  }
}

/** Never throws: what fn threw must reach the caller as it was, and the span must still end. */
function failSpan(span: Span, error: unknown): void {
  try {
    span.recordError(error, { escaped: true });
    span.setStatus({ code: "error", message: errorMessage(error) });
  } catch {
    // nothing the SDK fails at may replace the application's error
  }
}

function isSpan(value: unknown): value is Span {
  return typeof value === "object" && value !== null && typeof (value as Span).spanContext === "function";
}

function isPropagatedContext(value: unknown): value is PropagatedContext {
  return typeof value === "object" && value !== null && !isSpan(value) && typeof (value as SpanContext).traceId !== "string";
}

function isPromiseLike<T>(value: T): value is T & PromiseLike<Awaited<T>> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function toLinkData(link: { context: SpanContext; attributes?: Attributes }): SpanLinkData {
  return {
    traceId: link.context.traceId,
    spanId: link.context.spanId,
    traceFlags: link.context.traceFlags,
    ...(link.context.traceState ? { traceState: link.context.traceState.serialize() } : {}),
    ...(link.attributes ? { attributes: link.attributes } : {}),
  };
}
