// The full view of one trace (what GetTrace returns), folded from its events.
// It is the read model for a single trace at any version: current state and
// time travel are the same fold, stopped at a different event.

import { create } from "@bufbuild/protobuf";
import {
  SpanEndReason,
  SpanState,
  StatusCode,
  TraceSchema,
  TraceState,
  type KeyValue,
  type Span,
  type Trace,
} from "@traceledger/proto";
import { countOf } from "../domain/trace/attribute-limits.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { formatTraceparent } from "../domain/trace/traceparent.js";
import { bytesToHex, hexToBytes } from "../domain/trace/w3c-ids.js";

interface SpanDraft {
  readonly span: Span;
  readonly attributes: Map<string, KeyValue>;
  flags: number;
}

/**
 * All the fold keeps besides its spans: enough to resume it from a snapshot
 * (../trace-reads), with the snapshot's spans adopted as later events touch them.
 * The snapshots there share build()'s trace-level fields (traceWithoutSpans); their
 * spec checks snapshot + tail against this fold at every version. Changing what this fold
 * produces? Bump VIEW_FORMAT in ../trace-reads/view-format.ts.
 */
export interface TraceViewProgress {
  readonly version: number;
  readonly completed: boolean;
  readonly rootSpanId: string;
}

export class TraceViewBuilder {
  private readonly spans = new Map<string, SpanDraft>();
  private version = 0;
  private completed = false;
  private rootSpanId = "";

  constructor(
    private readonly traceId: string,
    resume?: TraceViewProgress,
  ) {
    if (resume) ({ version: this.version, completed: this.completed, rootSpanId: this.rootSpanId } = resume);
  }

  get progress(): TraceViewProgress {
    return { version: this.version, completed: this.completed, rootSpanId: this.rootSpanId };
  }

  /** Takes back a span that build() produced earlier, so that later events can change it. */
  adopt(span: Span): void {
    const attributes = new Map<string, KeyValue>();
    for (const kv of span.attributes) attributes.set(kv.key, kv);
    this.spans.set(bytesToHex(span.spanId), { span, attributes, flags: parseInt(span.traceparent.slice(-2), 16) || 0 });
  }

  /** Counts an event the view does not show (an unknown type's): its version passes. */
  skip(): this {
    this.version++;
    return this;
  }

  apply(event: TraceEventCase): this {
    this.version++;
    switch (event.case) {
      case "traceStarted":
        break;
      case "spanStarted": {
        const e = event.value;
        const spanId = bytesToHex(e.spanId);
        const attributes = new Map<string, KeyValue>();
        for (const kv of e.attributes) attributes.set(kv.key, kv);
        this.spans.set(spanId, {
          attributes,
          flags: e.flags,
          // A literal with every field instead of create(): the same message,
          // without the reflection that made create() most of the fold's cost.
          span: {
            $typeName: "traceledger.v1.Span",
            traceId: e.traceId,
            spanId: e.spanId,
            parentSpanId: e.parentSpanId,
            parentIsRemote: e.parentIsRemote,
            name: e.name,
            kind: e.kind,
            serviceName: e.serviceName,
            state: SpanState.RUNNING,
            startTimeUnixNano: e.startTimeUnixNano,
            endTimeUnixNano: 0n,
            durationNano: 0n,
            status: { $typeName: "traceledger.v1.Status", code: StatusCode.UNSPECIFIED, message: "" },
            endReason: SpanEndReason.UNSPECIFIED,
            attributes: [],
            events: [],
            errors: [],
            links: e.links,
            resourceAttributes: e.resourceAttributes,
            traceparent: "",
            tracestate: e.tracestate,
            limitedAttributesCount: countOf(e.droppedAttributesCount, e.truncatedValuesCount),
            scopeName: e.scopeName,
            droppedEventsCount: e.droppedEventsCount,
            droppedLinksCount: e.droppedLinksCount,
            scopeVersion: e.scopeVersion,
            scopeAttributes: e.scopeAttributes,
            scopeDroppedAttributesCount: e.scopeDroppedAttributesCount,
            scopeSchemaUrl: e.scopeSchemaUrl,
            resourceSchemaUrl: e.resourceSchemaUrl,
            resourceDroppedAttributesCount: e.resourceDroppedAttributesCount,
          } satisfies Span,
        });
        if (e.parentSpanId.length === 0) this.rootSpanId = spanId;
        break;
      }
      case "spanEnded": {
        const draft = this.spans.get(bytesToHex(event.value.spanId));
        if (!draft) break;
        const e = event.value;
        draft.span.state = SpanState.ENDED;
        draft.span.endTimeUnixNano = e.endTimeUnixNano;
        draft.span.status = e.status ?? { $typeName: "traceledger.v1.Status", code: StatusCode.UNSPECIFIED, message: "" };
        draft.span.endReason = e.endReason;
        if (e.name !== "") draft.span.name = e.name;
        for (const kv of e.attributes) draft.attributes.set(kv.key, kv);
        draft.span.limitedAttributesCount = countOf(draft.span.limitedAttributesCount, e.droppedAttributesCount, e.truncatedValuesCount);
        break;
      }
      case "spanOrphaned": {
        const draft = this.spans.get(bytesToHex(event.value.spanId));
        if (!draft) break;
        draft.span.state = SpanState.ORPHANED;
        draft.span.endTimeUnixNano = event.value.closedTimeUnixNano;
        draft.span.endReason = SpanEndReason.ORPHANED;
        break;
      }
      case "spanErrorOccurred": {
        const draft = this.spans.get(bytesToHex(event.value.spanId));
        if (!draft) break;
        const e = event.value;
        draft.span.errors.push({
          $typeName: "traceledger.v1.SpanError",
          errorId: e.errorId,
          timeUnixNano: e.timeUnixNano,
          errorType: e.errorType,
          message: e.message,
          stacktrace: e.stacktrace,
          escaped: e.escaped,
          attributes: e.attributes,
        });
        draft.span.limitedAttributesCount = countOf(draft.span.limitedAttributesCount, e.droppedAttributesCount, e.truncatedValuesCount);
        break;
      }
      case "spanEventRecorded": {
        const draft = this.spans.get(bytesToHex(event.value.spanId));
        if (!draft) break;
        const e = event.value;
        draft.span.events.push({
          $typeName: "traceledger.v1.SpanEvent",
          eventId: e.eventId,
          timeUnixNano: e.timeUnixNano,
          name: e.name,
          attributes: e.attributes,
        });
        draft.span.limitedAttributesCount = countOf(draft.span.limitedAttributesCount, e.droppedAttributesCount, e.truncatedValuesCount);
        break;
      }
      case "spanAttributeUpdated": {
        const draft = this.spans.get(bytesToHex(event.value.spanId));
        if (!draft) break;
        for (const kv of event.value.attributes) draft.attributes.set(kv.key, kv);
        draft.span.limitedAttributesCount = countOf(draft.span.limitedAttributesCount, event.value.droppedAttributesCount, event.value.truncatedValuesCount);
        break;
      }
      case "traceCompleted":
        this.completed = true;
        break;
    }
    return this;
  }

  /** The trace as of the events applied so far; running spans' durations are measured to `now`. */
  build(now: bigint): Trace {
    const spans: Span[] = [];
    const totals: TraceTotals = { start: 0n, end: 0n, errors: 0, running: 0 };
    for (const [spanId, draft] of this.spans) {
      const span = draft.span;
      const isRunning = span.state === SpanState.RUNNING;
      span.attributes = [...draft.attributes.values()];
      span.traceparent = formatTraceparent(this.traceId, spanId, draft.flags);
      const until = isRunning ? (now > span.startTimeUnixNano ? now : span.startTimeUnixNano) : span.endTimeUnixNano;
      span.durationNano = until - span.startTimeUnixNano;
      countSpan(totals, span.startTimeUnixNano, span.endTimeUnixNano, isRunning, span.status?.code === StatusCode.ERROR || span.errors.length > 0);
      spans.push(span);
    }
    spans.sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0));
    const root = this.spans.get(this.rootSpanId)?.span ?? earliestSpan(spans);
    const trace = traceWithoutSpans(this.traceId, this.progress, totals, spans.length, root ?? { name: "", serviceName: "" }, now);
    trace.spans = spans;
    return trace;
  }
}

/**
 * The span that names a trace without a root span here: the earliest started, and
 * among equal starts (millisecond clocks) the lowest span id, as the ListTraces
 * projector picks it (new-trace-summary.ts, and its aggregate over span_index).
 */
export function earliestSpan<T extends { readonly startTimeUnixNano: bigint; readonly spanId: Uint8Array }>(spans: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const span of spans) {
    if (!best || span.startTimeUnixNano < best.startTimeUnixNano || (span.startTimeUnixNano === best.startTimeUnixNano && Buffer.compare(span.spanId, best.spanId) < 0)) best = span;
  }
  return best;
}

/** What the trace-level fields are computed from, gathered span by span with countSpan(). */
export interface TraceTotals {
  start: bigint;
  end: bigint;
  errors: number;
  running: number;
}

export function countSpan(totals: TraceTotals, start: bigint, end: bigint, running: boolean, failed: boolean): void {
  if (totals.start === 0n || start < totals.start) totals.start = start;
  if (running) totals.running++;
  else if (end > totals.end) totals.end = end;
  if (failed) totals.errors++;
}

/**
 * The Trace with every field but its spans, as of `now` (running spans are
 * measured to it). `root` names the trace: the root span, or the earliest span
 * when the trace has no root (yet, or here). Shared by build() and the snapshot
 * reads (../trace-reads/trace-header.ts), so the two cannot drift apart.
 */
export function traceWithoutSpans(
  traceId: string,
  progress: TraceViewProgress,
  totals: TraceTotals,
  spanCount: number,
  root: { readonly name: string; readonly serviceName: string },
  now: bigint,
): Trace {
  const { start, end, running } = totals;
  const coveredUntil = progress.completed || running === 0 ? end : now > end ? now : end;
  return create(TraceSchema, {
    traceId: hexToBytes(traceId),
    state: progress.version === 0 ? TraceState.UNSPECIFIED : progress.completed ? TraceState.COMPLETED : TraceState.OPEN,
    version: BigInt(progress.version),
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    durationNano: coveredUntil > start ? coveredUntil - start : 0n,
    rootSpanId: progress.rootSpanId ? hexToBytes(progress.rootSpanId) : new Uint8Array(0),
    rootName: root.name,
    rootServiceName: root.serviceName,
    spanCount,
    errorCount: totals.errors,
    runningSpanCount: running,
  });
}
