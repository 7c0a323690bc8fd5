// The decision state of one trace and its fold. It holds what the invariants
// need (lifecycle, ids, attribute keys, request ids), not the full span data:
// the read models in projections/ keep that.
//
// evolveTrace updates the state it is given and returns it. It is deterministic
// and does no I/O, but it is not copy-on-write: copying a 1,000-span trace for
// every event would make replay quadratic. Callers keep events, not old states.

import { countOf } from "./attribute-limits.js";
import { attributesDigest, textDigest } from "./content-digest.js";
import { OrphanReason, SpanEndReason, StatusCode, TraceCompletionReason, type SpanKind } from "@traceledger/proto";
import type { TraceEventCase } from "./trace-event.js";
import { bytesToHex } from "./w3c-ids.js";

/** A command with a client-chosen id (error, event or attribute update) that was accepted. */
interface AcceptedRequest {
  /** What a retry must repeat to be recognised as the same request. */
  readonly fingerprint: string;
  /** For attribute updates: the keys kept after limits, each of which a retry must carry. */
  readonly keptKeys?: readonly string[];
  /** For attribute updates: the digest of the kept attributes, which a retry's must match. */
  readonly keptDigest?: string;
  /** For errors and events: the time stored, which a retry that gives a time must repeat. */
  readonly time?: bigint;
  readonly version: number;
  readonly limited: number;
}

interface SpanCommon {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly parentIsRemote: boolean;
  readonly name: string;
  readonly kind: SpanKind;
  readonly serviceName: string;
  readonly startTime: bigint;
  readonly flags: number;
  readonly startedAtVersion: number;
  /** The limited-attribute count of the start, for the retried start's answer. */
  readonly startLimited: number;
  /** True when this span's start also started the trace. */
  readonly startedTrace: boolean;
  /** The keys of a running span's attributes; emptied when it ends (an ended span takes no attributes). */
  readonly attributeKeys: Set<string>;
  /** Accepted requests by kind and id: "error:<id>", "event:<id>", "attributes:<id>"; created on first use. */
  readonly requests: Map<string, AcceptedRequest> | undefined;
  hasError: boolean;
  /** Events (SpanEventRecorded) the span holds: the event count limit bounds them. */
  eventCount: number;
  /** Errors (SpanErrorOccurred) the span holds: bounded by the same limit, apart. */
  errorCount: number;
}

interface RunningSpan extends SpanCommon {
  readonly status: "running";
}

interface EndedSpan extends SpanCommon {
  readonly status: "ended";
  readonly endTime: bigint;
  readonly statusCode: StatusCode;
  /** The status message the end gave: a retried end must repeat it. */
  readonly statusMessage: string;
  readonly endReason: SpanEndReason;
  readonly endedAtVersion: number;
  /** True when this span's end also completed the trace. */
  readonly completedTrace: boolean;
  /** The name the end gave the span; "" when it kept the name it started with (`name`). */
  readonly endName: string;
}

interface OrphanedSpan extends SpanCommon {
  readonly status: "orphaned";
  readonly endTime: bigint;
  readonly orphanReason: OrphanReason;
  readonly endedAtVersion: number;
}

export type SpanState = RunningSpan | EndedSpan | OrphanedSpan;

/**
 * What evolve actually stores: one object per span with every field of every
 * state, so a span changes state in place instead of being copied, and all
 * spans share one hidden class. Readers see it through the SpanState union.
 */
type AllSpanFields = Omit<RunningSpan, "status"> & Omit<EndedSpan, "status"> & Omit<OrphanedSpan, "status">;
type SpanSlot = { -readonly [K in keyof AllSpanFields]: AllSpanFields[K] } & {
  status: SpanState["status"];
  requests: Map<string, AcceptedRequest> | undefined;
};

function slot(span: SpanState): SpanSlot {
  return span as unknown as SpanSlot;
}

function requestsOf(span: SpanState): Map<string, AcceptedRequest> {
  const s = slot(span);
  return (s.requests ??= new Map());
}

export interface TraceState {
  status: "empty" | "open" | "completed";
  traceId: string;
  /** The number of events folded: the stream version. */
  version: number;
  readonly spans: Map<string, SpanState>;
  /** The span without a parent, if one started. */
  rootSpanId: string;
  runningSpanCount: number;
  startTime: bigint;
  endTime: bigint;
  completedAtVersion: number;
  /** Why the trace first completed; a restated completion keeps it. */
  completionReason: TraceCompletionReason;
  /** Spans recorded after the trace first completed (finished spans reported late). */
  lateSpanCount: number;
  /** The span whose end was folded last, to tell which end completed the trace. */
  lastEndedSpanId: string;
}

export function initialTraceState(traceId: string): TraceState {
  return {
    status: "empty",
    traceId,
    version: 0,
    spans: new Map(),
    rootSpanId: "",
    runningSpanCount: 0,
    startTime: 0n,
    endTime: 0n,
    completedAtVersion: 0,
    completionReason: TraceCompletionReason.UNSPECIFIED,
    lateSpanCount: 0,
    lastEndedSpanId: "",
  };
}

export function evolveTrace(state: TraceState, event: TraceEventCase): TraceState {
  state.version++;
  switch (event.case) {
    case "traceStarted":
      state.status = "open";
      state.startTime = event.value.startTimeUnixNano;
      return state;
    case "spanStarted": {
      const e = event.value;
      const spanId = bytesToHex(e.spanId);
      const parentSpanId = bytesToHex(e.parentSpanId);
      const keys = new Set<string>();
      for (const kv of e.attributes) keys.add(kv.key);
      const span: SpanSlot = {
        status: "running",
        spanId,
        parentSpanId,
        parentIsRemote: e.parentIsRemote,
        name: e.name,
        kind: e.kind,
        serviceName: e.serviceName,
        startTime: e.startTimeUnixNano,
        flags: e.flags,
        startedAtVersion: state.version,
        // Capped as stored counts are: an OTLP reporter may have dropped 2^32 - 1 already,
        // and the retried start's answer carries this in a uint32.
        startLimited: countOf(e.droppedAttributesCount, e.truncatedValuesCount),
        // TraceStarted is always version 1, so the span at version 2 started the trace.
        startedTrace: state.version === 2,
        attributeKeys: keys,
        requests: undefined,
        hasError: false,
        eventCount: 0,
        errorCount: 0,
        endTime: 0n,
        statusCode: StatusCode.UNSPECIFIED,
        statusMessage: "",
        endReason: SpanEndReason.UNSPECIFIED,
        endedAtVersion: 0,
        completedTrace: false,
        endName: "",
        orphanReason: OrphanReason.UNSPECIFIED,
      };
      state.spans.set(spanId, span as SpanState);
      if (parentSpanId === "") state.rootSpanId = spanId;
      state.runningSpanCount++;
      if (state.startTime === 0n || e.startTimeUnixNano < state.startTime) state.startTime = e.startTimeUnixNano;
      return state;
    }
    case "spanEnded": {
      const e = event.value;
      const span = state.spans.get(bytesToHex(e.spanId));
      if (!span || span.status !== "running") return state;
      for (const kv of e.attributes) span.attributeKeys.add(kv.key);
      const code = e.status?.code ?? StatusCode.UNSPECIFIED;
      const s = slot(span);
      s.status = "ended";
      // Kept states hold many ended spans; their keys would only cost memory and GC.
      s.attributeKeys = NO_KEYS;
      s.endTime = e.endTimeUnixNano;
      s.statusCode = code;
      s.statusMessage = e.status?.message ?? "";
      s.endReason = e.endReason;
      s.endName = e.name;
      s.endedAtVersion = state.version;
      if (code === StatusCode.ERROR) s.hasError = true;
      state.runningSpanCount--;
      state.lastEndedSpanId = span.spanId;
      if (e.endTimeUnixNano > state.endTime) state.endTime = e.endTimeUnixNano;
      return state;
    }
    case "spanOrphaned": {
      const e = event.value;
      const span = state.spans.get(bytesToHex(e.spanId));
      if (!span || span.status !== "running") return state;
      const s = slot(span);
      s.status = "orphaned";
      s.attributeKeys = NO_KEYS;
      s.endTime = e.closedTimeUnixNano;
      s.orphanReason = e.reason;
      s.endedAtVersion = state.version;
      state.runningSpanCount--;
      if (e.closedTimeUnixNano > state.endTime) state.endTime = e.closedTimeUnixNano;
      return state;
    }
    case "spanErrorOccurred": {
      const e = event.value;
      const span = state.spans.get(bytesToHex(e.spanId));
      if (!span) return state;
      span.hasError = true;
      span.errorCount++;
      requestsOf(span).set(`error:${e.errorId}`, {
        fingerprint: errorFingerprint(e.errorType, e.message, e.stacktrace, e.escaped, e.attributes.length + e.droppedAttributesCount),
        time: e.timeUnixNano,
        version: state.version,
        limited: countOf(e.droppedAttributesCount, e.truncatedValuesCount),
      });
      return state;
    }
    case "spanEventRecorded": {
      const e = event.value;
      const span = state.spans.get(bytesToHex(e.spanId));
      if (!span) return state;
      span.eventCount++;
      requestsOf(span).set(`event:${e.eventId}`, {
        fingerprint: eventFingerprint(e.name, e.attributes.length + e.droppedAttributesCount),
        time: e.timeUnixNano,
        version: state.version,
        limited: countOf(e.droppedAttributesCount, e.truncatedValuesCount),
      });
      return state;
    }
    case "spanAttributeUpdated": {
      const e = event.value;
      const span = state.spans.get(bytesToHex(e.spanId));
      if (!span) return state;
      if (span.status === "running") for (const kv of e.attributes) span.attributeKeys.add(kv.key);
      requestsOf(span).set(`attributes:${e.updateId}`, {
        fingerprint: String(e.attributes.length + e.droppedAttributesCount),
        keptKeys: e.attributes.map((kv) => kv.key),
        keptDigest: attributesDigest(e.attributes),
        version: state.version,
        limited: countOf(e.droppedAttributesCount, e.truncatedValuesCount),
      });
      return state;
    }
    case "traceCompleted": {
      state.lateSpanCount = event.value.lateSpanCount;
      // A restated completion (late spans arrived) changes the counts, not when or why it completed.
      if (state.status === "completed") return state;
      state.status = "completed";
      state.completedAtVersion = state.version;
      state.completionReason = event.value.reason;
      const last = state.spans.get(state.lastEndedSpanId);
      if (last?.status === "ended" && last.endedAtVersion === state.version - 1) slot(last).completedTrace = true;
      return state;
    }
  }
}

/** The keys of every ended span: never added to (only running spans take attributes). */
const NO_KEYS: Set<string> = new Set();

/**
 * What a retried error must repeat: type, message, stack, escaped and how many attributes it gave.
 * (Attribute values are not compared: holding them per error would cost every cached trace.)
 */
export function errorFingerprint(errorType: string, message: string, stacktrace: string, escaped: boolean, attributeCount: number): string {
  return `${errorType}\u0000${message}\u0000${stacktrace.length}:${textDigest(stacktrace)}\u0000${escaped ? 1 : 0}\u0000${attributeCount}`;
}

/** What a retried event must repeat: its name and how many attributes it gave. */
export function eventFingerprint(name: string, attributeCount: number): string {
  return `${name}\u0000${attributeCount}`;
}

export function foldTrace(traceId: string, events: Iterable<TraceEventCase>): TraceState {
  let state = initialTraceState(traceId);
  for (const event of events) state = evolveTrace(state, event);
  return state;
}
