// The Span a tracer hands out, and the options of its operations. A span is
// either recording (its lifecycle goes to the server) or not (unsampled, or the
// SDK is disabled); both carry a SpanContext, so context propagates either way.

import type { AttributeValue, Attributes } from "../commands/attributes.js";
import type { PropagatedContext } from "../propagation/propagated-context.js";
import type { SpanContext } from "../w3c/span-context.js";
import type { TimeInput } from "./clock.js";

export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer";

export interface SpanStatus {
  readonly code: "unset" | "ok" | "error";
  readonly message?: string;
}

export interface SpanLink {
  readonly context: SpanContext;
  readonly attributes?: Attributes;
}

/** Where a new span hangs: a span, a span context, an extracted context, or null for a new trace. */
export type ParentInput = Span | SpanContext | PropagatedContext | null;

export interface StartSpanOptions {
  /** Default "internal". */
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** Default: the active span (AsyncLocalStorage). null starts a new trace. */
  readonly parent?: ParentInput;
  /** Default: now. */
  readonly startTime?: TimeInput;
  readonly links?: readonly SpanLink[];
}

export interface EndSpanOptions {
  /** Default: now (never before the start). */
  readonly time?: TimeInput;
  /** Sets the status as the span ends. */
  readonly status?: SpanStatus;
  /** Attributes to add as the span ends. */
  readonly attributes?: Attributes;
  /** True when the operation was abandoned before it finished (end reason CANCELLED). */
  readonly cancelled?: boolean;
}

export interface ErrorContext {
  /** Context about the error, recorded with it. */
  readonly attributes?: Attributes;
  /** True when the error escaped the span's scope (withSpan sets it for what fn throws). */
  readonly escaped?: boolean;
  /** Default: now. */
  readonly time?: TimeInput;
}

export interface Span {
  /** The span's name as last set. */
  readonly name: string;
  spanContext(): SpanContext;
  /** True when the span's lifecycle is sent to the server. */
  isRecording(): boolean;
  /** The W3C traceparent that names this span to a downstream service; "" if the context is invalid. */
  traceparent(): string;
  setAttribute(key: string, value: AttributeValue): this;
  setAttributes(attributes: Attributes): this;
  addEvent(name: string, attributes?: Attributes, time?: TimeInput): this;
  /** Records an error's type, message and stack (and `context.attributes`). Does not change the status. */
  recordError(error: unknown, context?: ErrorContext): this;
  setStatus(status: SpanStatus): this;
  /** The status as set so far (OK is final; an ERROR's message is kept). */
  status(): SpanStatus;
  /**
   * Renames the span. A start not sent yet carries the new name; once it has
   * been sent, the span's end carries it, so the server shows the running span
   * under the name it started with until the span ends.
   */
  updateName(name: string): this;
  /** Ends the span; later calls do nothing. */
  end(options?: EndSpanOptions): void;
  isEnded(): boolean;
}
