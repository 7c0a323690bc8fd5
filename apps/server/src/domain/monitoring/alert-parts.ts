// Pieces every rule builds alerts from.

import type { AlertResolved, ResolveReason, SpanSubject } from "./monitoring-events.js";
import type { ActiveSpan } from "./monitoring-state.js";

export function spanSubject(span: ActiveSpan): SpanSubject {
  return { type: "span", traceId: span.traceId, spanId: span.spanId, service: span.service, operation: span.name };
}

/** An AlertResolved whose value is a duration. */
export function resolvedAlert(
  alertId: string,
  kind: AlertResolved["kind"],
  subject: AlertResolved["subject"],
  at: bigint,
  reason: ResolveReason,
  durationNs: bigint,
): AlertResolved {
  return { type: "AlertResolved", alertId, kind, subject, at, reason, value: Number(durationNs), unit: "ns" };
}
