// MonitoringService responses from the saga's views and the alert rows, and what
// each weighs in an answer: pages and stream messages are held to a byte budget
// (monitoring-service.ts), and an alert stored before the saga bounded the names it
// copies (domain/monitoring/bounded-text.ts) may alone be larger than any budget.

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
  type AlertRaised,
  type AlertResolved,
  type MonitoringEventEnvelope,
  type StoppedSpan,
} from "@traceledger/proto";
import { boundedText, type ActiveSpanView } from "../domain/monitoring/index.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import type { StoredEvent } from "../event-store/event-store.js";
import type { ActiveSpanChange } from "../monitoring/active-span-feed.js";
import { toAlertEnvelope } from "../monitoring/alert-envelope.js";
import type { AlertRow } from "../monitoring/alert-listing.js";

/**
 * At most what an ActiveSpan adds to its two names, as an element of a repeated field: ids,
 * kind, three times, two flags, tags and lengths (about 90 bytes at their largest).
 */
const ACTIVE_SPAN_BYTES = 96;
/** At most what an Alert adds to its id and its two events' bytes, as an element of a repeated field (about 50 bytes). */
const ALERT_BYTES = 64;
/** At most what a WatchAlertsResponse adds to its event's stored bytes: event id, version, two times, tags and lengths. */
const ALERT_ENVELOPE_BYTES = 128;
/** A StoppedSpan as an element: two ids and a reason. */
export const STOPPED_SPAN_BYTES = 40;

/** At most the bytes `span` takes in a ListActiveSpansResponse or WatchActiveSpansResponse. */
export function activeSpanBytes(span: Pick<ActiveSpanView, "service" | "name">): number {
  return ACTIVE_SPAN_BYTES + utf8Bytes(span.service) + utf8Bytes(span.name);
}

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

/** At most the bytes the alert of `row` takes in a ListAlertsResponse, as alertMessage gives it. */
export function alertRowBytes(row: AlertRow): number {
  return ALERT_BYTES + row.raised.length * 2 + (row.resolved?.length ?? 0);
}

/**
 * The alert of `row`; with `maxBytes`, and the alert larger than that, with its texts cut
 * (cutAlertTexts): one alert too large to send would otherwise fail every page it is on.
 */
export function alertMessage(row: AlertRow, maxBytes = Infinity): Alert {
  const raised = fromBinary(AlertRaisedSchema, row.raised);
  const resolved = row.resolved === null ? undefined : fromBinary(AlertResolvedSchema, row.resolved);
  if (alertRowBytes(row) > maxBytes) {
    cutAlertTexts(raised);
    if (resolved) cutAlertTexts(resolved);
  }
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

/** At most the bytes the event `stored` takes in a WatchAlertsResponse. */
function alertEventBytes(stored: Pick<StoredEvent, "payload">): number {
  return ALERT_ENVELOPE_BYTES + stored.payload.length;
}

/** The stored alert event as WatchAlerts sends it: with its texts cut when larger than `maxBytes` (cutAlertTexts). */
export function alertEnvelope(stored: StoredEvent, maxBytes: number): MonitoringEventEnvelope {
  const envelope = toAlertEnvelope(stored);
  const event = envelope.event?.event;
  if (event?.value !== undefined && alertEventBytes(stored) > maxBytes) cutAlertTexts(event.value);
  return envelope;
}

/**
 * Cuts an alert event's texts (its subject's names, its message, a critical error's type and
 * id) to what the saga keeps of such texts now, in place. Its id, kind, times and values stay.
 */
function cutAlertTexts(event: AlertRaised | AlertResolved): void {
  const subject = event.subject?.subject;
  if (subject?.case !== undefined) {
    subject.value.serviceName = boundedText(subject.value.serviceName);
    if (subject.case !== "service") subject.value.spanName = boundedText(subject.value.spanName);
  }
  if (event.$typeName === "traceledger.v1.AlertRaised") {
    event.message = boundedText(event.message);
    event.errorType = boundedText(event.errorType);
    event.errorId = boundedText(event.errorId);
  }
}

function utf8Bytes(text: string): number {
  // At most 3 bytes per UTF-16 unit: short names need no measuring.
  return text.length < 128 ? text.length * 3 : Buffer.byteLength(text);
}
