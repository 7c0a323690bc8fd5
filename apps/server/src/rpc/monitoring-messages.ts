// MonitoringService responses from the saga's views and the alert rows.

import { create, fromBinary } from "@bufbuild/protobuf";
import {
  ActiveSpanSchema,
  AlertRaisedSchema,
  AlertResolvedSchema,
  AlertSchema,
  AlertState,
  SpanEndReason,
  StoppedSpanSchema,
  type ActiveSpan,
  type Alert,
  type StoppedSpan,
} from "@traceledger/proto";
import type { ActiveSpanView } from "../domain/monitoring/index.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import type { ActiveSpanChange } from "../monitoring/active-span-feed.js";
import type { AlertRow } from "../monitoring/alert-listing.js";

/** A running span, its running time measured to `now`. */
export function activeSpanMessage(span: ActiveSpanView, now: bigint): ActiveSpan {
  return create(ActiveSpanSchema, {
    traceId: hexToBytes(span.traceId),
    spanId: hexToBytes(span.spanId),
    serviceName: span.service,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTime,
    runningNano: now > span.startTime ? now - span.startTime : 0n,
    slowThresholdNano: span.slowThresholdNs,
    slow: span.slow,
    closing: span.closing,
  });
}

const STOP_REASONS = { ended: SpanEndReason.COMPLETED, cancelled: SpanEndReason.CANCELLED, orphaned: SpanEndReason.ORPHANED } as const;

export function stoppedSpanMessage(change: Extract<ActiveSpanChange, { type: "stopped" }>): StoppedSpan {
  return create(StoppedSpanSchema, { traceId: hexToBytes(change.traceId), spanId: hexToBytes(change.spanId), reason: STOP_REASONS[change.reason] });
}

export function alertMessage(row: AlertRow): Alert {
  const raised = fromBinary(AlertRaisedSchema, row.raised);
  const resolved = row.resolved === null ? undefined : fromBinary(AlertResolvedSchema, row.resolved);
  return create(AlertSchema, {
    alertId: raised.alertId,
    kind: raised.kind,
    severity: raised.severity,
    state: resolved ? AlertState.RESOLVED : AlertState.OPEN,
    raised,
    resolved,
    raisedVersion: BigInt(row.raisedVersion),
    raisedRecordedTimeUnixNano: row.raisedRecordedAt,
  });
}
