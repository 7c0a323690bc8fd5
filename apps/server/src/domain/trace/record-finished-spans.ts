// decide for RecordFinishedSpans: spans reported after they finished (OTLP)
// become the events the lifecycle API would have written for them: SpanStarted,
// their events and errors, SpanEnded, and TraceStarted / TraceCompleted where
// the trace begins or completes.
//
// What differs from StartSpan, and why:
// - Each span is judged on its own; the command as a whole fails only for a bad
//   trace id. One bad span must not cost its batch.
// - A parent not (yet) in the trace is normal, not an error: exporters send a
//   batch in the order spans ended (children first), and another service's
//   spans arrive in its own batches. Spans of one command are recorded parents
//   first; a parent still unknown is recorded as remote.
// - A completed trace accepts them as late arrivals, followed by a restated
//   TraceCompleted with the new counts (with or without a local root: one the
//   saga closed takes them too): refusing them would lose them, and OTLP
//   exporters report every span late by design.
// - A span already recorded with the same start and end is recognised and
//   writes nothing, so an exporter's retry is stored once. A span the lifecycle
//   API started and that is still running is ended by its finished report.
// - The span limits cut a new span's events, errors and links to the first so
//   many, counted as dropped on its SpanStarted, as its sender's SDK would have.
//   A running span ended by its report takes the report's events whole: its
//   SpanStarted is stored, with nowhere left to count drops, and the report is
//   bounded by the request's size, unlike the span's growth call by call.
//   Attributes (the span's, its events', errors', links' and scope's) go
//   through the attribute limits as StartSpan's do; the resource's are exempt.
//
// Event payloads are built as literals with every field (like the trace view):
// protobuf-es create() is reflection, and this runs for every ingested span.

import {
  SpanEndReason,
  StatusCode,
  TraceCompletionReason,
  TraceOrigin,
  type KeyValue,
  type SpanEnded,
  type SpanErrorOccurred,
  type SpanEventRecorded,
  type SpanLink,
  type SpanStarted,
  type TraceCompleted,
  type TraceStarted,
} from "@traceledger/proto";
import { countOf, limitAttributes, type LimitedAttributes } from "./attribute-limits.js";
import { limitedLink } from "./limited-link.js";
import { errorCountLimit, type SpanLimits } from "./span-limits.js";
import { attributeProblem, linkProblem, MAX_TIME_UNIX_NANO, spanIdProblem } from "./span-validation.js";
import type { FinishedSpan, RecordFinishedSpans } from "./trace-commands.js";
import { traceError, type TraceError } from "./trace-error.js";
import type { TraceEventCase } from "./trace-event.js";
import type { SpanState, TraceState } from "./trace-state.js";
import { hexToBytes } from "./w3c-ids.js";

export interface RejectedSpan {
  readonly spanId: string;
  readonly error: TraceError;
}

export interface FinishedSpansRecorded {
  readonly type: "FinishedSpansRecorded";
  /** The stream version after this command's events. */
  readonly version: number;
  /** Spans this command recorded (new ones, and running ones it ended). */
  readonly recorded: number;
  /** Spans already recorded exactly so: a re-report, nothing written. */
  readonly duplicates: number;
  readonly rejected: readonly RejectedSpan[];
  /** True when this command completed the trace or restated its completion. */
  readonly traceCompleted: boolean;
}

interface Tally {
  readonly traceIdBytes: Uint8Array;
  readonly limits: SpanLimits;
  readonly events: TraceEventCase[];
  /** Spans recorded by this command, by id: later spans of the command see them. */
  readonly added: Map<string, FinishedSpan>;
  /** Running spans of the trace this command ended, by id (made on first use: most commands end none). */
  ended: Map<string, FinishedSpan> | undefined;
  /**
   * A scope's attribute list (see SpanProvenance) is shared by its spans, and a
   * command's spans nearly always share one scope: the last list seen is limited once.
   * (The resource's attributes are not limited: OpenTelemetry exempts them.)
   */
  scopeList: readonly KeyValue[] | undefined;
  scope: LimitedAttributes;
  rootSpanId: string;
  newErrors: number;
  start: bigint;
  end: bigint;
}

/**
 * No attributes (a finished span's end adds none): one value shared by every
 * SpanEnded, not a new list per span. Events are never changed once decided.
 */
const NOTHING: LimitedAttributes = { attributes: [], dropped: 0, truncated: 0 };

export function recordFinishedSpans(cmd: RecordFinishedSpans, state: TraceState, limits: SpanLimits): { events: TraceEventCase[]; outcome: FinishedSpansRecorded } {
  const tally: Tally = {
    traceIdBytes: hexToBytes(cmd.traceId),
    limits,
    events: [],
    added: new Map(),
    ended: undefined,
    scopeList: undefined,
    scope: NOTHING,
    rootSpanId: state.rootSpanId,
    newErrors: 0,
    start: state.startTime,
    end: state.endTime,
  };
  const rejected: RejectedSpan[] = [];
  let duplicates = 0;
  for (const span of parentsFirst(cmd.spans)) {
    const verdict = record(span, state, tally);
    if (verdict === "duplicate") duplicates++;
    else if (verdict !== "recorded") rejected.push({ spanId: span.spanId, error: verdict });
  }

  const recorded = tally.added.size + (tally.ended?.size ?? 0);
  const events: TraceEventCase[] = [];
  if (state.status === "empty" && tally.added.size > 0) events.push(traceStarted(tally));
  for (const event of tally.events) events.push(event);
  const completion = recorded > 0 ? completionAfter(state, tally) : undefined;
  if (completion) events.push(completion);
  return {
    events,
    outcome: {
      type: "FinishedSpansRecorded",
      version: state.version + events.length,
      recorded,
      duplicates,
      rejected,
      traceCompleted: completion !== undefined,
    },
  };
}

/** Records one span into the tally: "recorded", "duplicate", or why not. */
function record(span: FinishedSpan, state: TraceState, tally: Tally): "recorded" | "duplicate" | TraceError {
  const problem = spanProblem(span);
  if (problem) return problem;

  const earlier = tally.added.get(span.spanId) ?? tally.ended?.get(span.spanId);
  if (earlier) {
    if (!sameStart(earlier, span)) return spanIdReused(state.traceId, span.spanId);
    return earlier.endTime === span.endTime && earlier.statusCode === span.statusCode ? "duplicate" : alreadyEnded(state.traceId, span.spanId);
  }
  const existing = state.spans.get(span.spanId);
  if (existing) {
    // A running span may be renamed by its end; an ended one is reported under its final name.
    const name = existing.status === "running" ? span.name : existing.status === "ended" && existing.endName !== "" ? existing.endName : existing.name;
    if (!sameStart({ ...existing, name }, span)) return spanIdReused(state.traceId, span.spanId);
    if (existing.status === "ended") {
      return existing.endTime === span.endTime && existing.statusCode === span.statusCode ? "duplicate" : alreadyEnded(state.traceId, span.spanId);
    }
    if (existing.status === "orphaned") return alreadyEnded(state.traceId, span.spanId);
    return endRunning(existing, span, tally);
  }

  if (span.parentSpanId === "") {
    if (tally.rootSpanId !== "") {
      return traceError("failed_precondition", "ROOT_SPAN_EXISTS", `trace ${state.traceId} already has the root span ${tally.rootSpanId}`, {
        trace_id: state.traceId,
        span_id: span.spanId,
        root_span_id: tally.rootSpanId,
      });
    }
    tally.rootSpanId = span.spanId;
  }
  const parentKnown = span.parentSpanId !== "" && (state.spans.has(span.parentSpanId) || tally.added.has(span.parentSpanId));
  const spanIdBytes = hexToBytes(span.spanId);
  const attributes = limitAttributes(span.attributes, tally.limits);
  const provenance = span.provenance;
  if (provenance !== undefined && tally.scopeList !== provenance.scopeAttributes) {
    tally.scopeList = provenance.scopeAttributes;
    tally.scope = limitAttributes(provenance.scopeAttributes, tally.limits);
  }
  const scope = provenance === undefined ? NOTHING : tally.scope;
  const { linkCountLimit, eventCountLimit } = tally.limits;
  const kept = span.links.length > linkCountLimit ? span.links.slice(0, linkCountLimit) : span.links;
  const links = kept.length === 0 ? kept : kept.map((link) => limitedLink(link, tally.limits));
  const droppedEvents = span.events.length > eventCountLimit ? eventsPastLimit(span, eventCountLimit) : 0;
  tally.events.push({
    case: "spanStarted",
    value: {
      $typeName: "traceledger.v1.SpanStarted",
      traceId: tally.traceIdBytes,
      spanId: spanIdBytes,
      parentSpanId: span.parentSpanId === "" ? new Uint8Array(0) : hexToBytes(span.parentSpanId),
      parentIsRemote: span.parentSpanId !== "" && (span.parentIsRemote ?? !parentKnown),
      name: span.name,
      kind: span.kind,
      serviceName: span.serviceName,
      startTimeUnixNano: span.startTime,
      attributes: attributes.attributes,
      tracestate: span.tracestate,
      links: links as SpanLink[],
      // As reported: OpenTelemetry's attribute limits exempt the resource (what a request stores of it is bounded: otlp-ingest/expansion-budget.ts).
      resourceAttributes: span.resourceAttributes as KeyValue[],
      flags: span.flags,
      droppedAttributesCount: countOf(attributes.dropped, span.droppedAttributesCount),
      truncatedValuesCount: attributes.truncated,
      scopeName: span.scopeName,
      droppedEventsCount: countOf(span.droppedEventsCount ?? 0, droppedEvents),
      droppedLinksCount: countOf(span.droppedLinksCount ?? 0, span.links.length - kept.length),
      scopeVersion: provenance?.scopeVersion ?? "",
      scopeAttributes: scope.attributes,
      // A shortened scope value is kept shortened and not counted: the scope has no truncated count.
      scopeDroppedAttributesCount: countOf(provenance?.scopeDroppedAttributesCount ?? 0, scope.dropped),
      scopeSchemaUrl: provenance?.scopeSchemaUrl ?? "",
      resourceSchemaUrl: provenance?.resourceSchemaUrl ?? "",
      resourceDroppedAttributesCount: countOf(provenance?.resourceDroppedAttributesCount ?? 0),
    } satisfies SpanStarted,
  });
  const hasErrorEvent = pushSpanEvents(span, spanIdBytes, undefined, tally, eventCountLimit);
  tally.events.push(spanEnded(span, spanIdBytes, NOTHING, tally));
  tally.added.set(span.spanId, span);
  if (hasErrorEvent || span.statusCode === StatusCode.ERROR) tally.newErrors++;
  if (tally.start === 0n || span.startTime < tally.start) tally.start = span.startTime;
  if (span.endTime > tally.end) tally.end = span.endTime;
  return "recorded";
}

/** A span the lifecycle API started, still running, now reported finished: what it did not record yet, then its end. */
function endRunning(existing: SpanState, span: FinishedSpan, tally: Tally): "recorded" {
  const spanIdBytes = hexToBytes(span.spanId);
  const hasErrorEvent = pushSpanEvents(span, spanIdBytes, existing, tally, Infinity);
  tally.events.push(spanEnded(span, spanIdBytes, limitAttributes(span.attributes, tally.limits, existing.attributeKeys), tally, span.name === existing.name ? "" : span.name));
  (tally.ended ??= new Map()).set(span.spanId, span);
  if (!existing.hasError && (hasErrorEvent || span.statusCode === StatusCode.ERROR)) tally.newErrors++;
  if (span.endTime > tally.end) tally.end = span.endTime;
  return "recorded";
}

/**
 * Pushes the span's events and errors not already on `existing`, the first `limit`
 * events and the first `errorCountLimit(limit)` errors; true when the span holds an error among them.
 */
function pushSpanEvents(span: FinishedSpan, spanIdBytes: Uint8Array, existing: SpanState | undefined, tally: Tally, limit: number): boolean {
  let hasError = false;
  let events = 0;
  let errors = 0;
  for (const e of span.events) {
    if (e.type === "error" ? errors++ >= errorCountLimit(limit) : events++ >= limit) continue;
    const time = e.time === 0n ? span.startTime : e.time;
    const limited = limitAttributes(e.attributes, tally.limits);
    if (e.type === "error") {
      hasError = true;
      if (existing?.requests?.has(`error:${e.errorId}`)) continue;
      tally.events.push({
        case: "spanErrorOccurred",
        value: {
          $typeName: "traceledger.v1.SpanErrorOccurred",
          traceId: tally.traceIdBytes,
          spanId: spanIdBytes,
          errorId: e.errorId,
          timeUnixNano: time,
          errorType: e.errorType,
          message: e.message,
          stacktrace: e.stacktrace,
          escaped: e.escaped,
          attributes: limited.attributes,
          droppedAttributesCount: countOf(limited.dropped, e.droppedAttributesCount),
          truncatedValuesCount: limited.truncated,
        } satisfies SpanErrorOccurred,
      });
    } else {
      if (existing?.requests?.has(`event:${e.eventId}`)) continue;
      tally.events.push({
        case: "spanEventRecorded",
        value: {
          $typeName: "traceledger.v1.SpanEventRecorded",
          traceId: tally.traceIdBytes,
          spanId: spanIdBytes,
          eventId: e.eventId,
          timeUnixNano: time,
          name: e.name,
          attributes: limited.attributes,
          droppedAttributesCount: countOf(limited.dropped, e.droppedAttributesCount),
          truncatedValuesCount: limited.truncated,
        } satisfies SpanEventRecorded,
      });
    }
  }
  return hasError;
}

/** How many of the span's events and errors the limit leaves out (each kind has its own room). */
function eventsPastLimit(span: FinishedSpan, limit: number): number {
  let errors = 0;
  for (const e of span.events) if (e.type === "error") errors++;
  const events = span.events.length - errors;
  return Math.max(0, events - limit) + Math.max(0, errors - errorCountLimit(limit));
}

/** `name`: the span's new name when a lifecycle span is renamed by its report, else "". */
function spanEnded(span: FinishedSpan, spanIdBytes: Uint8Array, attributes: LimitedAttributes, tally: Tally, name = ""): TraceEventCase {
  return {
    case: "spanEnded",
    value: {
      $typeName: "traceledger.v1.SpanEnded",
      traceId: tally.traceIdBytes,
      spanId: spanIdBytes,
      endTimeUnixNano: span.endTime,
      status: { $typeName: "traceledger.v1.Status", code: span.statusCode, message: span.statusMessage },
      endReason: SpanEndReason.COMPLETED,
      attributes: attributes.attributes,
      droppedAttributesCount: attributes.dropped,
      truncatedValuesCount: attributes.truncated,
      name,
    } satisfies SpanEnded,
  };
}

function traceStarted(tally: Tally): TraceEventCase {
  let first: FinishedSpan | undefined = tally.added.get(tally.rootSpanId);
  if (!first) for (const span of tally.added.values()) if (!first || span.startTime < first.startTime) first = span;
  return {
    case: "traceStarted",
    value: {
      $typeName: "traceledger.v1.TraceStarted",
      traceId: tally.traceIdBytes,
      startTimeUnixNano: tally.start,
      origin: TraceOrigin.OTLP,
      serviceName: first?.serviceName ?? "",
    } satisfies TraceStarted,
  };
}

/**
 * TraceCompleted when nothing runs and either the trace has a root that has
 * ended (the first completion), or the trace was completed already (a
 * restatement after late spans). A trace without a local root is completed
 * first by the saga, at its timeout; after that its late spans restate the
 * completion like any other's, so that they are exported too.
 */
function completionAfter(state: TraceState, tally: Tally): TraceEventCase | undefined {
  const restated = state.status === "completed";
  if (tally.rootSpanId === "" && !restated) return undefined;
  const root = tally.rootSpanId === "" ? undefined : state.spans.get(tally.rootSpanId);
  if (root?.status === "running" && !tally.ended?.has(root.spanId)) return undefined;
  if (state.runningSpanCount - (tally.ended?.size ?? 0) !== 0) return undefined;
  let errors = tally.newErrors;
  let orphans = 0;
  for (const span of state.spans.values()) {
    if (span.hasError) errors++;
    if (span.status === "orphaned") orphans++;
  }
  return {
    case: "traceCompleted",
    value: {
      $typeName: "traceledger.v1.TraceCompleted",
      traceId: tally.traceIdBytes,
      startTimeUnixNano: tally.start,
      endTimeUnixNano: tally.end,
      durationNano: tally.end > tally.start ? tally.end - tally.start : 0n,
      spanCount: state.spans.size + tally.added.size,
      errorCount: errors,
      orphanedSpanCount: orphans,
      reason: restated ? state.completionReason : root?.status === "orphaned" ? TraceCompletionReason.TIMED_OUT : TraceCompletionReason.ROOT_ENDED,
      lateSpanCount: restated ? state.lateSpanCount + tally.added.size : 0,
    } satisfies TraceCompleted,
  };
}

function spanProblem(span: FinishedSpan): TraceError | undefined {
  const invalid =
    spanIdProblem(span.spanId, "INVALID_SPAN_ID", "span id") ??
    (span.parentSpanId !== "" ? spanIdProblem(span.parentSpanId, "INVALID_PARENT_SPAN_ID", "parent span id") : undefined) ??
    (span.parentSpanId === span.spanId ? traceError("invalid_argument", "INVALID_PARENT_SPAN_ID", "a span cannot be its own parent", { span_id: span.spanId }) : undefined) ??
    (span.name.trim() === "" ? traceError("invalid_argument", "INVALID_SPAN_NAME", "the span name must not be empty", { span_id: span.spanId }) : undefined) ??
    timeProblem(span) ??
    attributeProblem(span.attributes, span.spanId) ??
    attributeProblem(span.resourceAttributes, span.spanId) ??
    (span.provenance ? attributeProblem(span.provenance.scopeAttributes, span.spanId) : undefined) ??
    linkProblem(span.links, span.spanId);
  if (invalid) return invalid;
  for (const e of span.events) {
    if (e.type === "event" && e.name.trim() === "") return traceError("invalid_argument", "INVALID_EVENT_NAME", "the event name must not be empty", { span_id: span.spanId });
    const attributes = attributeProblem(e.attributes, span.spanId);
    if (attributes) return attributes;
  }
  return undefined;
}

function timeProblem(span: FinishedSpan): TraceError | undefined {
  const metadata = { span_id: span.spanId, start_time_unix_nano: String(span.startTime), end_time_unix_nano: String(span.endTime) };
  // The log keeps times as int8: a later one would fail the whole group commit, not this span alone.
  const late = lateTimeOf(span);
  if (late !== undefined) return traceError("invalid_argument", "INVALID_TIME_RANGE", `time ${late} is past the latest time the store holds (${MAX_TIME_UNIX_NANO}, in 2262)`, metadata);
  if (span.startTime !== 0n && span.endTime >= span.startTime) return undefined;
  if (span.startTime === 0n) return traceError("invalid_argument", "INVALID_TIME_RANGE", "a finished span needs its start time", metadata);
  return traceError("invalid_argument", "INVALID_TIME_RANGE", `end time ${span.endTime} is before the span's start time ${span.startTime}`, metadata);
}

/** The first of the span's times past what the log holds; checked per OTLP span, so no array is built for it. */
function lateTimeOf(span: FinishedSpan): bigint | undefined {
  if (span.startTime > MAX_TIME_UNIX_NANO) return span.startTime;
  if (span.endTime > MAX_TIME_UNIX_NANO) return span.endTime;
  for (const e of span.events) if (e.time > MAX_TIME_UNIX_NANO) return e.time;
  return undefined;
}

/** What makes a span the same span: a re-report must repeat it. */
function sameStart(a: { parentSpanId: string; name: string; kind: number; serviceName: string; startTime: bigint }, b: FinishedSpan): boolean {
  return a.parentSpanId === b.parentSpanId && a.name === b.name && a.kind === b.kind && a.serviceName === b.serviceName && a.startTime === b.startTime;
}

/**
 * The spans in an order where a parent in the same command comes before its
 * children (otherwise as given), so children find their parent recorded.
 * Exporters send spans in end order, children first, so nearly every command
 * of several spans is reordered: by index, with no map for a small command.
 */
function parentsFirst(spans: readonly FinishedSpan[]): readonly FinishedSpan[] {
  const n = spans.length;
  if (n < 2) return spans;
  // parent[i]: the index of span i's parent in this command (its first span of that id), or -1.
  const parent = new Int32Array(n);
  let parentLater = false;
  const byId = n > 32 ? firstIndexById(spans) : undefined;
  for (let i = 0; i < n; i++) {
    const id = spans[i]!.parentSpanId;
    let at = -1;
    if (id !== "") {
      if (byId) at = byId.get(id) ?? -1;
      else while (++at < n && spans[at]!.spanId !== id);
      if (at === n) at = -1;
    }
    parent[i] = at;
    if (at > i) parentLater = true;
  }
  if (!parentLater) return spans;
  const placed = new Uint8Array(n);
  const ordered: FinishedSpan[] = [];
  const chain: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = i; k >= 0 && placed[k] === 0; k = parent[k]!) {
      placed[k] = 1;
      chain.push(k);
    }
    while (chain.length > 0) ordered.push(spans[chain.pop()!]!);
  }
  return ordered;
}

function firstIndexById(spans: readonly FinishedSpan[]): Map<string, number> {
  const byId = new Map<string, number>();
  for (let i = 0; i < spans.length; i++) if (!byId.has(spans[i]!.spanId)) byId.set(spans[i]!.spanId, i);
  return byId;
}

function spanIdReused(traceId: string, spanId: string): TraceError {
  return traceError("already_exists", "SPAN_ID_REUSED", `span ${spanId} was already recorded with other content`, { trace_id: traceId, span_id: spanId });
}

function alreadyEnded(traceId: string, spanId: string): TraceError {
  return traceError("failed_precondition", "SPAN_ALREADY_ENDED", `span ${spanId} has already ended with another outcome`, { trace_id: traceId, span_id: spanId });
}
