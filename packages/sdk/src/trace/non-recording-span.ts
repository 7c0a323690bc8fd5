// A span that records nothing but still carries a context: an unsampled span
// (propagated with flag 00), a remote parent made active, or any span of a
// disabled SDK. Every operation is a no-op.

import type { AttributeValue, Attributes } from "../commands/attributes.js";
import { formatTraceparent } from "../w3c/traceparent.js";
import { isValidSpanContext, type SpanContext } from "../w3c/span-context.js";
import type { Span, SpanStatus } from "./span.js";

export const INVALID_SPAN_CONTEXT: SpanContext = { traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 };

export class NonRecordingSpan implements Span {
  private ended = false;

  constructor(
    private readonly context: SpanContext = INVALID_SPAN_CONTEXT,
    readonly name: string = "",
  ) {}

  spanContext(): SpanContext {
    return this.context;
  }
  isRecording(): boolean {
    return false;
  }
  traceparent(): string {
    return isValidSpanContext(this.context) ? formatTraceparent(this.context) : "";
  }
  setAttribute(_key: string, _value: AttributeValue): this {
    return this;
  }
  setAttributes(_attributes: Attributes): this {
    return this;
  }
  addEvent(): this {
    return this;
  }
  recordError(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  status(): SpanStatus {
    return { code: "unset" };
  }
  updateName(): this {
    return this;
  }
  end(): void {
    this.ended = true;
  }
  isEnded(): boolean {
    return this.ended;
  }
}
