// decide: a command and the trace's state in, the events to append (or a typed
// error) out. It never changes the state; evolveTrace applies the events after
// they are durable. A retried command decides no events and answers with the
// original outcome.
//
// Event payloads are literals with every field, not protobuf-es create()
// (reflection): every ingested span passes through here.

import { OtlpSpanFlags } from "@traceledger/proto/otlp";
import { attributesDigest } from "./content-digest.js";
import {
  OrphanReason,
  SpanEndReason,
  StatusCode,
  TraceCompletionReason,
  TraceOrigin,
  type KeyValue,
} from "@traceledger/proto";
import { limitAttributes } from "./attribute-limits.js";
import { formatDuration } from "../monitoring/alert-text.js";
import { limitedLink } from "./limited-link.js";
import { errorCountLimit, type SpanLimits } from "./span-limits.js";
import type {
  AddSpanEvent,
  CloseOrphanedSpan,
  CloseTrace,
  EndSpan,
  RecordError,
  SetSpanAttributes,
  StartSpan,
  TraceCommand,
} from "./trace-commands.js";
import { traceError, type TraceError } from "./trace-error.js";
import type { TraceEventCase } from "./trace-event.js";
import { errorFingerprint, eventFingerprint, type SpanState, type TraceState } from "./trace-state.js";
import { recordFinishedSpans, type FinishedSpansRecorded } from "./record-finished-spans.js";
import { attributeProblem, endReasonProblem, kindProblem, linkProblem, MAX_TIME_UNIX_NANO, spanIdProblem, statusCodeProblem, traceIdProblem } from "./span-validation.js";
import { TraceFlag } from "./traceparent.js";
import { hexToBytes } from "./w3c-ids.js";

interface DecideContext {
  /** The current time, Unix nanoseconds: used where a command says "now" (0). */
  readonly now: bigint;
  /** A fresh id for a request the client did not name. */
  readonly newId: () => string;
  readonly limits: SpanLimits;
}

export type CommandOutcome =
  | { type: "SpanStarted"; spanId: string; flags: number; version: number; traceStarted: boolean; limited: number }
  | { type: "SpanEnded"; version: number; durationNano: bigint; traceCompleted: boolean }
  | { type: "ErrorRecorded"; errorId: string; version: number }
  | { type: "EventRecorded"; eventId: string; version: number }
  | { type: "AttributesSet"; updateId: string; version: number; limited: number }
  | { type: "SpanClosed"; version: number; alreadyEnded: boolean }
  /** movedOn: the trace is past the version the close expected, or has a span running: nothing was done. */
  | { type: "TraceClosed"; version: number; alreadyCompleted: boolean; movedOn: boolean }
  | FinishedSpansRecorded;

export type Decision =
  | { readonly ok: true; readonly events: TraceEventCase[]; readonly outcome: CommandOutcome }
  | { readonly ok: false; readonly error: TraceError };

export function decideTrace(command: TraceCommand, state: TraceState, ctx: DecideContext): Decision {
  const badTraceId = traceIdProblem(command.traceId);
  if (badTraceId) return reject(badTraceId);
  const late = lateTime(command);
  if (late) return reject(late);
  switch (command.type) {
    case "StartSpan":
      return startSpan(command, state, ctx);
    case "EndSpan":
      return endSpan(command, state, ctx);
    case "RecordError":
      return recordError(command, state, ctx);
    case "AddSpanEvent":
      return addSpanEvent(command, state, ctx);
    case "SetSpanAttributes":
      return setSpanAttributes(command, state, ctx);
    case "CloseOrphanedSpan":
      return closeOrphanedSpan(command, state, ctx);
    case "CloseTrace":
      return closeTrace(command, state);
    case "RecordFinishedSpans": {
      const { events, outcome } = recordFinishedSpans(command, state, ctx.limits);
      return accept(events, outcome);
    }
  }
}

/**
 * A time the store cannot hold: the contract's times are fixed64, the log keeps them as int8.
 * Past 2262-04-11 no clock reaches, so such a time is a client's mistake, refused before it
 * could fail the group commit it would share with other commands.
 */
function lateTime(command: TraceCommand): TraceError | undefined {
  for (const field of TIME_FIELDS) {
    const value = (command as Partial<Record<typeof field, bigint>>)[field];
    if (value !== undefined && value > MAX_TIME_UNIX_NANO) {
      return traceError("invalid_argument", "INVALID_TIME_RANGE", `${field} ${value} is past the latest time the store holds (${MAX_TIME_UNIX_NANO}, in 2262)`, {
        trace_id: command.traceId,
        [snakeCase(field)]: String(value),
      });
    }
  }
  return undefined;
}

/** The time fields of the commands, whichever each has. */
const TIME_FIELDS = ["startTime", "endTime", "time"] as const;

/** The W3C "sampled" trace flag. */
const { SAMPLED, RANDOM_TRACE_ID } = TraceFlag;

const snakeCase = (field: string) => `${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_unix_nano`;

function startSpan(cmd: StartSpan, state: TraceState, ctx: DecideContext): Decision {
  const invalid =
    spanIdProblem(cmd.spanId, "INVALID_SPAN_ID", "span id") ??
    (cmd.parentSpanId !== "" ? spanIdProblem(cmd.parentSpanId, "INVALID_PARENT_SPAN_ID", "parent span id") : undefined) ??
    (cmd.parentSpanId === cmd.spanId ? traceError("invalid_argument", "INVALID_PARENT_SPAN_ID", "a span cannot be its own parent", { span_id: cmd.spanId }) : undefined) ??
    (cmd.name.trim() === "" ? traceError("invalid_argument", "INVALID_SPAN_NAME", "the span name must not be empty", { span_id: cmd.spanId }) : undefined) ??
    kindProblem(cmd.kind, cmd.spanId) ??
    attributeProblem(cmd.attributes, cmd.spanId) ??
    attributeProblem(cmd.resourceAttributes, cmd.spanId) ??
    linkProblem(cmd.links, cmd.spanId);
  if (invalid) return reject(invalid);

  const existing = state.spans.get(cmd.spanId);
  if (existing) {
    const same =
      existing.parentSpanId === cmd.parentSpanId &&
      existing.name === cmd.name &&
      existing.kind === cmd.kind &&
      existing.serviceName === cmd.serviceName &&
      (cmd.startTime === 0n || cmd.startTime === existing.startTime);
    if (!same) {
      if (cmd.requestId !== undefined) {
        return reject(traceError("already_exists", "REQUEST_ID_REUSED", `request_id "${cmd.requestId}" was already used to start a span with other content`, { trace_id: cmd.traceId, span_id: cmd.spanId, request_id: cmd.requestId }));
      }
      return reject(traceError("already_exists", "SPAN_ID_REUSED", `span ${cmd.spanId} was already started with other content`, { trace_id: cmd.traceId, span_id: cmd.spanId }));
    }
    return accept([], {
      type: "SpanStarted",
      spanId: cmd.spanId,
      flags: existing.flags & OtlpSpanFlags.TRACE_FLAGS_MASK,
      version: existing.startedAtVersion,
      traceStarted: existing.startedTrace,
      limited: existing.startLimited,
    });
  }
  if (state.status === "completed") {
    return reject(traceError("failed_precondition", "TRACE_COMPLETED", `trace ${cmd.traceId} is completed and accepts no new spans`, { trace_id: cmd.traceId, span_id: cmd.spanId }));
  }
  if (cmd.parentSpanId === "" && state.rootSpanId !== "") {
    return reject(traceError("failed_precondition", "ROOT_SPAN_EXISTS", `trace ${cmd.traceId} already has the root span ${state.rootSpanId}`, { trace_id: cmd.traceId, span_id: cmd.spanId, root_span_id: state.rootSpanId }));
  }
  const parentKnown = cmd.parentSpanId !== "" && state.spans.has(cmd.parentSpanId);
  if (cmd.parentSpanId !== "" && !parentKnown && !cmd.parentIsRemote) {
    return reject(traceError("failed_precondition", "PARENT_SPAN_NOT_FOUND", `parent span ${cmd.parentSpanId} is not in trace ${cmd.traceId}; mark it remote if it lives in another system`, { trace_id: cmd.traceId, span_id: cmd.spanId, parent_span_id: cmd.parentSpanId }));
  }

  const startTime = cmd.startTime === 0n ? ctx.now : cmd.startTime;
  const limited = limitAttributes(cmd.attributes, ctx.limits);
  // As OpenTelemetry's SDKs do: the first links kept, the rest counted.
  const keptLinks = cmd.links.length > ctx.limits.linkCountLimit ? cmd.links.slice(0, ctx.limits.linkCountLimit) : cmd.links;
  const parentIsRemote = cmd.parentSpanId !== "" && !parentKnown;
  // Flags not given (no traceparent): a local parent's, as its traceparent would have carried them;
  // else sampled, and random trace-id when the caller says so.
  const traceFlags = (cmd.flags ?? (parentKnown ? state.spans.get(cmd.parentSpanId)!.flags : cmd.randomTraceId ? SAMPLED | RANDOM_TRACE_ID : SAMPLED)) & OtlpSpanFlags.TRACE_FLAGS_MASK;
  const events: TraceEventCase[] = [];
  const traceStarted = state.status === "empty";
  const traceId = hexToBytes(cmd.traceId);
  if (traceStarted) {
    events.push({
      case: "traceStarted",
      value: {
        $typeName: "traceledger.v1.TraceStarted",
        traceId,
        startTimeUnixNano: startTime,
        origin: cmd.parentSpanId === "" ? TraceOrigin.ROOT : TraceOrigin.REMOTE_PARENT,
        serviceName: cmd.serviceName,
      },
    });
  }
  events.push({
    case: "spanStarted",
    value: {
      $typeName: "traceledger.v1.SpanStarted",
      traceId,
      spanId: hexToBytes(cmd.spanId),
      parentSpanId: cmd.parentSpanId === "" ? new Uint8Array(0) : hexToBytes(cmd.parentSpanId),
      parentIsRemote,
      name: cmd.name,
      kind: cmd.kind,
      serviceName: cmd.serviceName,
      startTimeUnixNano: startTime,
      attributes: list(limited.attributes),
      tracestate: cmd.tracestate,
      links: keptLinks.map((link) => limitedLink(link, ctx.limits)),
      // As given: OpenTelemetry's attribute limits exempt the resource (its size is bounded by the request's).
      resourceAttributes: list(cmd.resourceAttributes),
      // OTLP's Span.flags: the W3C trace flags, and whether the parent is remote, which is known here.
      flags: traceFlags | OtlpSpanFlags.CONTEXT_HAS_IS_REMOTE_MASK | (parentIsRemote ? OtlpSpanFlags.CONTEXT_IS_REMOTE_MASK : 0),
      droppedAttributesCount: limited.dropped,
      truncatedValuesCount: limited.truncated,
      scopeName: cmd.scopeName,
      droppedEventsCount: 0,
      droppedLinksCount: cmd.links.length - keptLinks.length,
      scopeVersion: cmd.scopeVersion ?? "",
      scopeAttributes: [],
      scopeDroppedAttributesCount: 0,
      scopeSchemaUrl: "",
      resourceSchemaUrl: "",
      resourceDroppedAttributesCount: 0,
    },
  });
  return accept(events, {
    type: "SpanStarted",
    spanId: cmd.spanId,
    flags: traceFlags,
    version: state.version + events.length,
    traceStarted,
    limited: limited.dropped + limited.truncated,
  });
}

function endSpan(cmd: EndSpan, state: TraceState, ctx: DecideContext): Decision {
  // The request first, then the trace (AIP-193): a bad request is INVALID_ARGUMENT whatever the span.
  const invalid =
    statusCodeProblem(cmd.statusCode, cmd.spanId) ??
    endReasonProblem(cmd.endReason, cmd.spanId) ??
    (cmd.name !== "" && cmd.name.trim() === "" ? traceError("invalid_argument", "INVALID_SPAN_NAME", "the span's new name must not be blank; send an empty name to keep the one it started with", { span_id: cmd.spanId }) : undefined) ??
    attributeProblem(cmd.attributes, cmd.spanId);
  if (invalid) return reject(invalid);
  const found = findSpan(cmd.traceId, cmd.spanId, state);
  if (!found.ok) return found;
  const span = found.span;
  const endReason = cmd.endReason === SpanEndReason.UNSPECIFIED ? SpanEndReason.COMPLETED : cmd.endReason;
  if (span.status === "ended") {
    const same =
      span.statusCode === cmd.statusCode &&
      span.statusMessage === cmd.statusMessage &&
      span.endReason === endReason &&
      (cmd.endTime === 0n || cmd.endTime === span.endTime) &&
      (cmd.name || span.name) === (span.endName || span.name);
    if (!same) return reject(alreadyEnded(cmd.traceId, cmd.spanId));
    // The original answer counted the TraceCompleted that followed the end.
    const version = span.completedTrace ? span.endedAtVersion + 1 : span.endedAtVersion;
    return accept([], { type: "SpanEnded", version, durationNano: span.endTime - span.startTime, traceCompleted: span.completedTrace });
  }
  if (span.status === "orphaned") return reject(closedAsOrphan(cmd.traceId, span));

  const endTime = cmd.endTime === 0n ? (ctx.now > span.startTime ? ctx.now : span.startTime) : cmd.endTime;
  if (endTime < span.startTime) {
    return reject(traceError("invalid_argument", "INVALID_TIME_RANGE", `end time ${endTime} is before the span's start time ${span.startTime}`, { trace_id: cmd.traceId, span_id: cmd.spanId, start_time_unix_nano: String(span.startTime), end_time_unix_nano: String(endTime) }));
  }
  const limited = limitAttributes(cmd.attributes, ctx.limits, span.attributeKeys);
  const events: TraceEventCase[] = [
    {
      case: "spanEnded",
      value: {
        $typeName: "traceledger.v1.SpanEnded",
        traceId: hexToBytes(cmd.traceId),
        spanId: hexToBytes(cmd.spanId),
        endTimeUnixNano: endTime,
        status: { $typeName: "traceledger.v1.Status", code: cmd.statusCode, message: cmd.statusMessage },
        endReason,
        attributes: list(limited.attributes),
        droppedAttributesCount: limited.dropped,
        truncatedValuesCount: limited.truncated,
        name: cmd.name === span.name ? "" : cmd.name,
      },
    },
  ];
  const completion = completionAfter(state, span.spanId, endTime, { withError: cmd.statusCode === StatusCode.ERROR, asOrphan: false });
  if (completion) events.push(completion);
  return accept(events, { type: "SpanEnded", version: state.version + events.length, durationNano: endTime - span.startTime, traceCompleted: completion !== undefined });
}

function recordError(cmd: RecordError, state: TraceState, ctx: DecideContext): Decision {
  const errorId = cmd.errorId || ctx.newId();
  const fingerprint = errorFingerprint(cmd.errorType, cmd.message, cmd.stacktrace, cmd.escaped, cmd.attributes.length);
  const prior = priorRequest(state, cmd.traceId, cmd.spanId, `error:${errorId}`, fingerprint, "error id", errorId, cmd.time);
  if (prior) return prior.ok ? accept([], { type: "ErrorRecorded", errorId, version: prior.version }) : prior;
  const invalid = attributeProblem(cmd.attributes, cmd.spanId);
  if (invalid) return reject(invalid);
  const found = findRunningSpan(cmd.traceId, cmd.spanId, state);
  if (!found.ok) return found;
  const errorLimit = errorCountLimit(ctx.limits.eventCountLimit);
  if (found.span.errorCount >= errorLimit) return reject(limitReached("SPAN_ERROR_LIMIT_REACHED", "errors", cmd.traceId, cmd.spanId, errorLimit));
  const limited = limitAttributes(cmd.attributes, ctx.limits);
  return accept(
    [
      {
        case: "spanErrorOccurred",
        value: {
          $typeName: "traceledger.v1.SpanErrorOccurred",
          traceId: hexToBytes(cmd.traceId),
          spanId: hexToBytes(cmd.spanId),
          errorId,
          timeUnixNano: cmd.time === 0n ? ctx.now : cmd.time,
          errorType: cmd.errorType,
          message: cmd.message,
          stacktrace: cmd.stacktrace,
          escaped: cmd.escaped,
          attributes: list(limited.attributes),
          droppedAttributesCount: limited.dropped,
          truncatedValuesCount: limited.truncated,
        },
      },
    ],
    { type: "ErrorRecorded", errorId, version: state.version + 1 },
  );
}

function addSpanEvent(cmd: AddSpanEvent, state: TraceState, ctx: DecideContext): Decision {
  if (cmd.name.trim() === "") {
    return reject(traceError("invalid_argument", "INVALID_EVENT_NAME", "the event name must not be empty", { span_id: cmd.spanId }));
  }
  const eventId = cmd.eventId || ctx.newId();
  const prior = priorRequest(state, cmd.traceId, cmd.spanId, `event:${eventId}`, eventFingerprint(cmd.name, cmd.attributes.length), "event id", eventId, cmd.time);
  if (prior) return prior.ok ? accept([], { type: "EventRecorded", eventId, version: prior.version }) : prior;
  const invalid = attributeProblem(cmd.attributes, cmd.spanId);
  if (invalid) return reject(invalid);
  const found = findRunningSpan(cmd.traceId, cmd.spanId, state);
  if (!found.ok) return found;
  if (found.span.eventCount >= ctx.limits.eventCountLimit) return reject(limitReached("SPAN_EVENT_LIMIT_REACHED", "events", cmd.traceId, cmd.spanId, ctx.limits.eventCountLimit));
  const limited = limitAttributes(cmd.attributes, ctx.limits);
  return accept(
    [
      {
        case: "spanEventRecorded",
        value: {
          $typeName: "traceledger.v1.SpanEventRecorded",
          traceId: hexToBytes(cmd.traceId),
          spanId: hexToBytes(cmd.spanId),
          eventId,
          timeUnixNano: cmd.time === 0n ? ctx.now : cmd.time,
          name: cmd.name,
          attributes: list(limited.attributes),
          droppedAttributesCount: limited.dropped,
          truncatedValuesCount: limited.truncated,
        },
      },
    ],
    { type: "EventRecorded", eventId, version: state.version + 1 },
  );
}

function setSpanAttributes(cmd: SetSpanAttributes, state: TraceState, ctx: DecideContext): Decision {
  if (cmd.attributes.length === 0) {
    return reject(traceError("invalid_argument", "EMPTY_ATTRIBUTES", "SetSpanAttributes needs at least one attribute", { span_id: cmd.spanId }));
  }
  const updateId = cmd.updateId || ctx.newId();
  const span = state.spans.get(cmd.spanId);
  const accepted = span?.requests?.get(`attributes:${updateId}`);
  if (accepted) {
    const keys = new Set(cmd.attributes.map((kv) => kv.key));
    const kept = new Set(accepted.keptKeys);
    const same =
      accepted.fingerprint === String(cmd.attributes.length) &&
      [...kept].every((k) => keys.has(k)) &&
      // The values too: the kept attributes, limited as they were then (their count is within the limit).
      attributesDigest(limitAttributes(cmd.attributes.filter((kv) => kept.has(kv.key)), ctx.limits).attributes) === accepted.keptDigest;
    if (!same) return reject(requestIdReused(cmd.traceId, cmd.spanId, "update id", updateId));
    return accept([], { type: "AttributesSet", updateId, version: accepted.version, limited: accepted.limited });
  }
  const invalid = attributeProblem(cmd.attributes, cmd.spanId);
  if (invalid) return reject(invalid);
  const found = findRunningSpan(cmd.traceId, cmd.spanId, state);
  if (!found.ok) return found;
  const limited = limitAttributes(cmd.attributes, ctx.limits, found.span.attributeKeys);
  return accept(
    [
      {
        case: "spanAttributeUpdated",
        value: {
          $typeName: "traceledger.v1.SpanAttributeUpdated",
          traceId: hexToBytes(cmd.traceId),
          spanId: hexToBytes(cmd.spanId),
          updateId,
          attributes: list(limited.attributes),
          droppedAttributesCount: limited.dropped,
          truncatedValuesCount: limited.truncated,
          timeUnixNano: ctx.now,
        },
      },
    ],
    { type: "AttributesSet", updateId, version: state.version + 1, limited: limited.dropped + limited.truncated },
  );
}

function closeOrphanedSpan(cmd: CloseOrphanedSpan, state: TraceState, ctx: DecideContext): Decision {
  const found = findSpan(cmd.traceId, cmd.spanId, state);
  if (!found.ok) return found;
  const span = found.span;
  if (span.status !== "running") return accept([], { type: "SpanClosed", version: span.endedAtVersion, alreadyEnded: true });
  const closed = ctx.now > span.startTime ? ctx.now : span.startTime;
  const events: TraceEventCase[] = [
    orphaned(cmd.traceId, span, closed, cmd.reason === "timeout" ? OrphanReason.TIMEOUT : OrphanReason.TRACE_CLOSED),
  ];
  const completion = completionAfter(state, span.spanId, closed, { withError: false, asOrphan: true });
  if (completion) events.push(completion);
  return accept(events, { type: "SpanClosed", version: state.version + events.length, alreadyEnded: false });
}

/**
 * Completes an idle trace as the saga saw it: only at the version it judged, and only with
 * nothing running. The saga decides on a log it reads behind the writers, so a span may have
 * started since; such a close does nothing, and the saga, reading the new events, judges the
 * trace again. A running span is never ended here: CloseOrphanedSpan alone orphans spans.
 */
function closeTrace(cmd: CloseTrace, state: TraceState): Decision {
  if (state.status === "empty") return reject(traceNotFound(cmd.traceId));
  if (state.status === "completed") return accept([], { type: "TraceClosed", version: state.completedAtVersion, alreadyCompleted: true, movedOn: false });
  if (state.version !== cmd.expectedVersion || state.runningSpanCount > 0) {
    return accept([], { type: "TraceClosed", version: state.version, alreadyCompleted: false, movedOn: true });
  }
  const events = [completed(state, state.endTime, TraceCompletionReason.TIMED_OUT, { extraErrors: 0, extraOrphans: 0 })];
  return accept(events, { type: "TraceClosed", version: state.version + 1, alreadyCompleted: false, movedOn: false });
}

/**
 * The TraceCompleted event that ending `spanId` causes, if any: the root has
 * ended (or ends now) and no other span runs. A trace without a local root
 * (it began in another system) is never completed here; the saga closes it.
 * A root closed as an orphan means the trace timed out, not that it ended.
 */
function completionAfter(state: TraceState, spanId: string, endTime: bigint, ends: { withError: boolean; asOrphan: boolean }) {
  if (state.rootSpanId === "" || state.runningSpanCount !== 1) return undefined;
  const root = state.spans.get(state.rootSpanId);
  if (!root || (root.status === "running" && root.spanId !== spanId)) return undefined;
  const span = state.spans.get(spanId);
  const pending = { extraErrors: ends.withError && span && !span.hasError ? 1 : 0, extraOrphans: ends.asOrphan ? 1 : 0 };
  const rootOrphaned = root.status === "orphaned" || (root.spanId === spanId && ends.asOrphan);
  const reason = rootOrphaned ? TraceCompletionReason.TIMED_OUT : TraceCompletionReason.ROOT_ENDED;
  return completed(state, endTime > state.endTime ? endTime : state.endTime, reason, pending);
}

function completed(state: TraceState, endTime: bigint, reason: TraceCompletionReason, pending: { extraErrors: number; extraOrphans: number }): TraceEventCase {
  let errorCount = pending.extraErrors;
  let orphanCount = pending.extraOrphans;
  for (const span of state.spans.values()) {
    if (span.hasError) errorCount++;
    if (span.status === "orphaned") orphanCount++;
  }
  return {
    case: "traceCompleted",
    value: {
      $typeName: "traceledger.v1.TraceCompleted",
      traceId: hexToBytes(state.traceId),
      startTimeUnixNano: state.startTime,
      endTimeUnixNano: endTime,
      durationNano: endTime > state.startTime ? endTime - state.startTime : 0n,
      spanCount: state.spans.size,
      errorCount,
      orphanedSpanCount: orphanCount,
      reason,
      lateSpanCount: 0,
    },
  };
}

function orphaned(traceId: string, span: SpanState, closed: bigint, reason: OrphanReason): TraceEventCase {
  return {
    case: "spanOrphaned",
    value: {
      $typeName: "traceledger.v1.SpanOrphaned",
      traceId: hexToBytes(traceId),
      spanId: hexToBytes(span.spanId),
      closedTimeUnixNano: closed,
      reason,
      openDurationNano: closed - span.startTime,
    },
  };
}

type Found = { ok: true; span: SpanState } | { ok: false; error: TraceError };

function findSpan(traceId: string, spanId: string, state: TraceState): Found {
  const invalid = spanIdProblem(spanId, "INVALID_SPAN_ID", "span id");
  if (invalid) return reject(invalid);
  if (state.status === "empty") return reject(traceNotFound(traceId));
  const span = state.spans.get(spanId);
  if (!span) return reject(traceError("not_found", "SPAN_NOT_FOUND", `span ${spanId} is not in trace ${traceId}`, { trace_id: traceId, span_id: spanId }));
  return { ok: true, span };
}

function findRunningSpan(traceId: string, spanId: string, state: TraceState): Found {
  const found = findSpan(traceId, spanId, state);
  if (found.ok && found.span.status === "orphaned") return reject(closedAsOrphan(traceId, found.span));
  if (found.ok && found.span.status !== "running") return reject(alreadyEnded(traceId, spanId));
  return found;
}

/** A request id the span already accepted: the original version for a retry, an error for a reuse. */
function priorRequest(state: TraceState, traceId: string, spanId: string, key: string, fingerprint: string, idName: string, id: string, time: bigint) {
  const accepted = state.spans.get(spanId)?.requests?.get(key);
  if (!accepted) return undefined;
  // A time of 0 ("now") was resolved when first accepted: a retry giving 0 again cannot differ there.
  const sameTime = time === 0n || accepted.time === undefined || accepted.time === time;
  if (accepted.fingerprint !== fingerprint || !sameTime) return reject(requestIdReused(traceId, spanId, idName, id));
  return { ok: true as const, version: accepted.version };
}

/**
 * A running span full of events (or errors): refused, not dropped and counted as
 * OpenTelemetry's SDKs do, since a count kept only in memory would be lost by a
 * restart or another replica, and one event per drop would grow the log as before.
 */
function limitReached(reason: "SPAN_EVENT_LIMIT_REACHED" | "SPAN_ERROR_LIMIT_REACHED", what: string, traceId: string, spanId: string, limit: number): TraceError {
  return traceError("failed_precondition", reason, `span ${spanId} already holds ${limit} ${what}, its limit (OTEL_SPAN_EVENT_COUNT_LIMIT); nothing was recorded`, {
    trace_id: traceId,
    span_id: spanId,
    limit: String(limit),
  });
}

function alreadyEnded(traceId: string, spanId: string): TraceError {
  return traceError("failed_precondition", "SPAN_ALREADY_ENDED", `span ${spanId} has already ended`, { trace_id: traceId, span_id: spanId });
}

/**
 * A span traceledger closed is refused as an ended one (the same stable reason), but says so:
 * its owner, often a job that outlived MONITORING_ORPHAN_TIMEOUT_MS, must learn that its own
 * end never counted, and which setting to raise.
 */
function closedAsOrphan(traceId: string, span: Extract<SpanState, { status: "orphaned" }>): TraceError {
  const why =
    span.orphanReason === OrphanReason.TRACE_CLOSED ? "open when its trace was closed"
    : span.orphanReason === OrphanReason.TIMEOUT ? "open without an end (MONITORING_ORPHAN_TIMEOUT_MS)"
    : "open without an end";
  const closedAt = new Date(Number(span.endTime / 1_000_000n)).toISOString();
  const open = span.endTime - span.startTime;
  return traceError(
    "failed_precondition",
    "SPAN_ALREADY_ENDED",
    `span ${span.spanId} was closed as an orphan at ${closedAt} after ${formatDuration(open)} ${why}; it takes no later end, error, event or attribute, so nothing was recorded`,
    { trace_id: traceId, span_id: span.spanId, end_reason: "SPAN_END_REASON_ORPHANED", end_time_unix_nano: String(span.endTime), open_duration_nano: String(open) },
  );
}

function traceNotFound(traceId: string): TraceError {
  return traceError("not_found", "TRACE_NOT_FOUND", `trace ${traceId} does not exist`, { trace_id: traceId });
}

function requestIdReused(traceId: string, spanId: string, idName: string, id: string): TraceError {
  return traceError("already_exists", "REQUEST_ID_REUSED", `${idName} "${id}" was already used on span ${spanId} for a different request`, { trace_id: traceId, span_id: spanId, [idName.replaceAll(" ", "_")]: id });
}

/** An attribute list as an event field: events are never changed, so the command's own list is carried. */
function list(attributes: readonly KeyValue[]): KeyValue[] {
  return attributes as KeyValue[];
}

function accept(events: TraceEventCase[], outcome: CommandOutcome): Decision {
  return { ok: true, events, outcome };
}

function reject(error: TraceError): { ok: false; error: TraceError } {
  return { ok: false, error };
}
