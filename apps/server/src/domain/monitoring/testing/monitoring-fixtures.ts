// Saga inputs for specs, built from the trace aggregate's own event fixtures.
// Defaults follow trace-fixtures.ts: the root "POST /checkout" of checkout,
// children "charge card" of payments, all in TRACE; `at` is when the store
// recorded the event, and defaults to the event's own time.

import { create } from "@bufbuild/protobuf";
import { OrphanReason, SpanOrphanedSchema, StatusCode, TraceOrigin } from "@traceledger/proto";
import { errorOccurred, spanEnded, spanStarted, T0, traceCompleted, traceStarted } from "../../testing/trace-fixtures.js";
import { TRACE } from "../../testing/trace-specification.js";
import type { TraceEventCase } from "../../trace/trace-event.js";
import { hexToBytes } from "../../trace/w3c-ids.js";
import type { Tick, TraceEventRecorded } from "../monitoring-input.js";

export { T0, TRACE };

export const s = (n: number): bigint => BigInt(Math.round(n * 1000)) * 1_000_000n;

/** The n-th span id (n >= 1): 16 lowercase hex characters. */
export const spanIdOf = (n: number): string => n.toString(16).padStart(16, "0");
/** The n-th trace id (n >= 1): 32 lowercase hex characters. */
export const traceIdOf = (n: number): string => n.toString(16).padStart(32, "0");

function recorded(event: TraceEventCase, at: bigint, traceId: string = TRACE, version = 0): TraceEventRecorded {
  return { type: "TraceEventRecorded", traceId, event, recordedAt: at, version };
}

/** The same input at stream version `version` (0 unless given: most specs do not care). */
export function atVersion(input: TraceEventRecorded, version: number): TraceEventRecorded {
  return { ...input, version };
}

export function tick(now: bigint): Tick {
  return { type: "Tick", now };
}

interface Where {
  readonly traceId?: string;
  readonly at?: bigint;
}

export function traceBegan(fields: Where & { start?: bigint; service?: string; remote?: boolean } = {}): TraceEventRecorded {
  const start = fields.start ?? T0;
  const event = traceStarted({ at: start, service: fields.service ?? "checkout", origin: fields.remote ? TraceOrigin.REMOTE_PARENT : TraceOrigin.ROOT });
  return recorded(event, fields.at ?? start, fields.traceId);
}

export function started(spanId: string, fields: Where & { start?: bigint; service?: string; name?: string; parent?: string; remoteParent?: boolean } = {}): TraceEventRecorded {
  const start = fields.start ?? T0;
  const event = spanStarted(spanId, {
    ...(fields.traceId === undefined ? {} : { traceId: fields.traceId }),
    ...(fields.service === undefined ? {} : { serviceName: fields.service }),
    ...(fields.name === undefined ? {} : { name: fields.name }),
    parentSpanId: fields.parent ?? "",
    parentIsRemote: fields.remoteParent ?? false,
    startTime: start,
  });
  return recorded(event, fields.at ?? start, fields.traceId);
}

/** `renamedTo`: the name the end gives the span. */
export function ended(spanId: string, fields: Where & { end: bigint; error?: boolean; renamedTo?: string }): TraceEventRecorded {
  const event = spanEnded(spanId, {
    ...(fields.traceId === undefined ? {} : { traceId: fields.traceId }),
    endTime: fields.end,
    statusCode: fields.error ? StatusCode.ERROR : StatusCode.OK,
    name: fields.renamedTo ?? "",
  });
  return recorded(event, fields.at ?? fields.end, fields.traceId);
}

export function errored(spanId: string, fields: Where & { time: bigint; errorType?: string; errorId?: string; message?: string }): TraceEventRecorded {
  const event = errorOccurred(spanId, {
    ...(fields.traceId === undefined ? {} : { traceId: fields.traceId }),
    ...(fields.message === undefined ? {} : { message: fields.message }),
    time: fields.time,
    errorType: fields.errorType ?? "CardDeclined",
    errorId: fields.errorId ?? "err-1",
  });
  return recorded(event, fields.at ?? fields.time, fields.traceId);
}

export function orphaned(spanId: string, fields: Where & { start: bigint; closed: bigint; reason?: OrphanReason }): TraceEventRecorded {
  const traceId = fields.traceId ?? TRACE;
  const event: TraceEventCase = {
    case: "spanOrphaned",
    value: create(SpanOrphanedSchema, {
      traceId: hexToBytes(traceId),
      spanId: hexToBytes(spanId),
      closedTimeUnixNano: fields.closed,
      reason: fields.reason ?? OrphanReason.TIMEOUT,
      openDurationNano: fields.closed - fields.start,
    }),
  };
  return recorded(event, fields.at ?? fields.closed, traceId);
}

export function completed(fields: Where & { start?: bigint; end: bigint; spans?: number }): TraceEventRecorded {
  const event = traceCompleted({ start: fields.start ?? T0, end: fields.end, spans: fields.spans ?? 1 });
  return recorded(event, fields.at ?? fields.end, fields.traceId);
}

interface CallFields {
  readonly service?: string;
  readonly name?: string;
}

/** The n-th call: the root span of its own trace (traceIdOf(n), spanIdOf(n)), starting. */
export function callStarted(n: number, fields: CallFields & { start: bigint }): TraceEventRecorded[] {
  const traceId = traceIdOf(n);
  const service = fields.service ?? "payments";
  return [
    traceBegan({ traceId, start: fields.start, service }),
    started(spanIdOf(n), { traceId, start: fields.start, service, name: fields.name ?? "charge card" }),
  ];
}

/** The n-th call ends, and with it its trace. */
export function callEnded(n: number, fields: { start: bigint; end: bigint; error?: boolean; renamedTo?: string }): TraceEventRecorded[] {
  const traceId = traceIdOf(n);
  return [
    ended(spanIdOf(n), { traceId, end: fields.end, error: fields.error ?? false, ...(fields.renamedTo === undefined ? {} : { renamedTo: fields.renamedTo }) }),
    completed({ traceId, start: fields.start, end: fields.end }),
  ];
}

/**
 * `count` calls (see callStarted) numbered from `first`, the i-th starting at
 * `from` + i ms and lasting `durationNs` (1 ms); the last `errors` of them fail.
 */
export function calls(count: number, fields: CallFields & { from: bigint; first?: number; durationNs?: bigint; errors?: number; renamedTo?: string }): TraceEventRecorded[] {
  const out: TraceEventRecorded[] = [];
  for (let i = 0; i < count; i++) {
    const n = (fields.first ?? 1) + i;
    const start = fields.from + BigInt(i) * 1_000_000n;
    const end = start + (fields.durationNs ?? 1_000_000n);
    const error = i >= count - (fields.errors ?? 0);
    out.push(...callStarted(n, { ...fields, start }), ...callEnded(n, { start, end, error, ...(fields.renamedTo === undefined ? {} : { renamedTo: fields.renamedTo }) }));
  }
  return out;
}
