// A sampled span: each operation becomes a lifecycle command for the sink.
// Attributes set (or a rename) before the span's StartSpan has been sealed into
// a batch are folded into it, so a short span usually costs two commands: its
// start and its end. A rename after that travels with the end.

import { copyAttributes, type AttributeValue, type Attributes } from "../commands/attributes.js";
import { END_REASON_CANCELLED, type StartSpanCommand, type StatusCodeNumber } from "../commands/span-command.js";
import type { CommandSink } from "../export/command-sink.js";
import { newRequestId } from "../ids/random-ids.js";
import { formatTraceparent } from "../w3c/traceparent.js";
import type { SpanContext } from "../w3c/span-context.js";
import { nowUnixNano, toUnixNano, type TimeInput } from "./clock.js";
import { errorDetails, safeString } from "./error-details.js";
import type { EndSpanOptions, ErrorContext, Span, SpanStatus } from "./span.js";

const STATUS_CODES: Record<SpanStatus["code"], StatusCodeNumber> = { unset: 0, ok: 1, error: 2 };

export class RecordingSpan implements Span {
  private ended = false;
  private statusCode: StatusCodeNumber = 0;
  private statusMessage = "";
  private currentName: string;
  private header: string | undefined;

  constructor(
    /** The sink of the tracer that made the span; a child in the same sink has a local parent. */
    readonly sink: CommandSink,
    private readonly start: StartSpanCommand,
    private readonly context: SpanContext,
  ) {
    this.currentName = start.name;
  }

  get name(): string {
    return this.currentName;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  traceparent(): string {
    return (this.header ??= formatTraceparent(this.context));
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.ended || value === undefined || value === null || key === "") return this;
    if (!this.start.sealed) {
      (this.start.attributes ??= {})[key] = value;
      return this;
    }
    return this.setAttributes({ [key]: value });
  }

  setAttributes(attributes: Attributes): this {
    if (this.ended) return this;
    const copy = copyAttributes(attributes);
    if (copy === undefined) return this;
    if (!this.start.sealed) {
      this.start.attributes = this.start.attributes === undefined ? copy : Object.assign(this.start.attributes, copy);
      return this;
    }
    this.sink.submit({ type: "setSpanAttributes", traceId: this.context.traceId, spanId: this.context.spanId, updateId: newRequestId(), attributes: copy });
    return this;
  }

  addEvent(name: string, attributes?: Attributes, time?: TimeInput): this {
    if (this.ended || typeof name !== "string" || name.trim() === "") return this;
    this.sink.submit({
      type: "addSpanEvent",
      traceId: this.context.traceId,
      spanId: this.context.spanId,
      eventId: newRequestId(),
      timeUnixNano: toUnixNano(time),
      name,
      attributes: copyAttributes(attributes),
    });
    return this;
  }

  recordError(error: unknown, context: ErrorContext = {}): this {
    if (this.ended) return this;
    const details = errorDetails(error);
    this.sink.submit({
      type: "recordError",
      traceId: this.context.traceId,
      spanId: this.context.spanId,
      errorId: newRequestId(),
      timeUnixNano: toUnixNano(context.time),
      errorType: details.type,
      message: details.message,
      stacktrace: details.stacktrace,
      escaped: context.escaped === true,
      attributes: copyAttributes(context.attributes),
    });
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended) return this;
    const code = STATUS_CODES[status.code];
    if (code === undefined) return this;
    // As in OpenTelemetry, OK is final and UNSET never overrides.
    if (this.statusCode === 1 || code === 0) return this;
    this.statusCode = code;
    this.statusMessage = code === 2 ? safeString(status.message ?? "") : "";
    return this;
  }

  status(): SpanStatus {
    if (this.statusCode === 2) return { code: "error", message: this.statusMessage };
    return { code: this.statusCode === 1 ? "ok" : "unset" };
  }

  updateName(name: string): this {
    if (this.ended || typeof name !== "string" || name.trim() === "") return this;
    this.currentName = name;
    if (!this.start.sealed) this.start.name = name;
    return this;
  }

  end(options: EndSpanOptions = {}): void {
    if (this.ended) return;
    if (options.status) this.setStatus(options.status);
    this.ended = true;
    let endTime = options.time === undefined ? nowUnixNano() : toUnixNano(options.time);
    if (endTime < this.start.startTimeUnixNano) endTime = this.start.startTimeUnixNano;
    this.sink.submit({
      type: "endSpan",
      traceId: this.context.traceId,
      spanId: this.context.spanId,
      endTimeUnixNano: endTime,
      statusCode: this.statusCode,
      statusMessage: this.statusMessage,
      endReason: options.cancelled === true ? END_REASON_CANCELLED : 0,
      attributes: copyAttributes(options.attributes),
      // A start that has shipped carries the name it had then: the end renames the span.
      name: this.start.sealed && this.currentName !== this.start.name ? this.currentName : undefined,
    });
  }

  isEnded(): boolean {
    return this.ended;
  }
}
