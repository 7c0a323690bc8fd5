// The saga's alert events (domain types, hex ids, bigint times) <-> their
// protobuf messages (bytes ids), as stored in the monitoring stream and served
// by MonitoringService. Stored like trace events: the payload is the message's
// own bytes and the type its short name ("AlertRaised", "AlertResolved").
//
// decodeAlertEvent(encodeAlertEvent(e)) equals e, so the runner can fold the
// stream back into the saga's state after a restart.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  AlertKind,
  AlertRaisedSchema,
  AlertResolveReason,
  AlertResolvedSchema,
  AlertSeverity,
  AlertSubjectSchema,
  AlertUnit,
  type AlertRaised as AlertRaisedMessage,
  type AlertResolved as AlertResolvedMessage,
  type AlertSubject as AlertSubjectMessage,
} from "@traceledger/proto";
import type { AlertKind as DomainKind, AlertRaised, AlertResolved, AlertSubject, MonitoringEvent, ResolveReason } from "../domain/monitoring/index.js";
import { bytesToHex, hexToBytes } from "../domain/trace/w3c-ids.js";

type AlertEventType = MonitoringEvent["type"];

const KINDS: Readonly<Record<DomainKind, AlertKind>> = {
  slow_span: AlertKind.SLOW_SPAN,
  slow_trace: AlertKind.SLOW_TRACE,
  error_rate: AlertKind.ERROR_RATE,
  latency_anomaly: AlertKind.LATENCY_ANOMALY,
  critical_error: AlertKind.CRITICAL_ERROR,
};

const SEVERITIES: Readonly<Record<DomainKind, AlertSeverity>> = {
  slow_span: AlertSeverity.WARNING,
  slow_trace: AlertSeverity.WARNING,
  latency_anomaly: AlertSeverity.WARNING,
  error_rate: AlertSeverity.ERROR,
  critical_error: AlertSeverity.CRITICAL,
};

const UNITS: Readonly<Record<AlertResolved["unit"], AlertUnit>> = {
  ns: AlertUnit.NANOSECONDS,
  ratio: AlertUnit.RATIO,
  count: AlertUnit.COUNT,
};

const REASONS: Readonly<Record<ResolveReason, AlertResolveReason>> = {
  span_ended: AlertResolveReason.SPAN_ENDED,
  span_orphaned: AlertResolveReason.SPAN_ORPHANED,
  trace_completed: AlertResolveReason.TRACE_COMPLETED,
  below_threshold: AlertResolveReason.BELOW_THRESHOLD,
  insufficient_samples: AlertResolveReason.INSUFFICIENT_SAMPLES,
  back_to_baseline: AlertResolveReason.BACK_TO_BASELINE,
  idle: AlertResolveReason.IDLE,
  trace_deleted: AlertResolveReason.TRACE_DELETED,
  unknown: AlertResolveReason.UNSPECIFIED,
};

export function alertKindName(kind: AlertKind): DomainKind | undefined {
  return reverse(KINDS, kind);
}

function toAlertRaisedMessage(alert: AlertRaised): AlertRaisedMessage {
  const message = create(AlertRaisedSchema, {
    alertId: alert.alertId,
    kind: KINDS[alert.kind],
    subject: subjectMessage(alert.subject),
    severity: SEVERITIES[alert.kind],
    timeUnixNano: alert.at,
    value: alert.value,
    threshold: alert.threshold,
    unit: UNITS[alert.unit],
    message: alert.message,
  });
  switch (alert.kind) {
    case "error_rate":
      message.samples = alert.samples;
      message.errors = alert.errors;
      message.exemplars = [{ $typeName: "traceledger.v1.Exemplar", traceId: hexToBytes(alert.exemplar.traceId), spanId: hexToBytes(alert.exemplar.spanId) }];
      break;
    case "latency_anomaly":
      message.samples = alert.samples;
      message.exemplars = [{ $typeName: "traceledger.v1.Exemplar", traceId: hexToBytes(alert.exemplar.traceId), spanId: hexToBytes(alert.exemplar.spanId) }];
      break;
    case "critical_error":
      message.errorType = alert.errorType;
      message.errorId = alert.errorId;
      break;
    case "slow_span":
    case "slow_trace":
      break;
  }
  return message;
}

function toAlertResolvedMessage(resolved: AlertResolved): AlertResolvedMessage {
  return create(AlertResolvedSchema, {
    alertId: resolved.alertId,
    kind: KINDS[resolved.kind],
    subject: subjectMessage(resolved.subject),
    severity: SEVERITIES[resolved.kind],
    timeUnixNano: resolved.at,
    reason: REASONS[resolved.reason],
    value: resolved.value,
    unit: UNITS[resolved.unit],
  });
}

export function encodeAlertEvent(event: MonitoringEvent): { type: AlertEventType; payload: Uint8Array } {
  return event.type === "AlertRaised"
    ? { type: "AlertRaised", payload: toBinary(AlertRaisedSchema, toAlertRaisedMessage(event)) }
    : { type: "AlertResolved", payload: toBinary(AlertResolvedSchema, toAlertResolvedMessage(event)) };
}

/** A stored monitoring event back in the domain's terms; throws on a type or value this version does not know. */
export function decodeAlertEvent(type: string, payload: Uint8Array): MonitoringEvent {
  if (type === "AlertRaised") return fromAlertRaisedMessage(fromBinary(AlertRaisedSchema, payload));
  if (type === "AlertResolved") return fromAlertResolvedMessage(fromBinary(AlertResolvedSchema, payload));
  throw new Error(`unknown monitoring event type "${type}"`);
}

function fromAlertRaisedMessage(m: AlertRaisedMessage): AlertRaised {
  const kind = known(alertKindName(m.kind), "alert kind", m.kind);
  const common = {
    type: "AlertRaised" as const,
    alertId: m.alertId,
    at: m.timeUnixNano,
    value: m.value,
    threshold: m.threshold,
    unit: known(reverse(UNITS, m.unit), "alert unit", m.unit),
    message: m.message,
  };
  const subject = fromSubjectMessage(m.subject);
  const exemplar = () => {
    const first = m.exemplars[0];
    return { traceId: bytesToHex(first?.traceId ?? new Uint8Array()), spanId: bytesToHex(first?.spanId ?? new Uint8Array()) };
  };
  switch (kind) {
    case "slow_span":
      return { ...common, kind, subject: expect(subject, "span") };
    case "slow_trace":
      return { ...common, kind, subject: expect(subject, "trace") };
    case "critical_error":
      return { ...common, kind, subject: expect(subject, "span"), errorType: m.errorType, errorId: m.errorId };
    case "error_rate":
      if (subject.type !== "service" && subject.type !== "operation") throw new Error(`an error_rate alert about a ${subject.type}`);
      return { ...common, kind, subject, samples: m.samples, errors: m.errors, exemplar: exemplar() };
    case "latency_anomaly":
      return { ...common, kind, subject: expect(subject, "operation"), samples: m.samples, exemplar: exemplar() };
  }
}

function fromAlertResolvedMessage(m: AlertResolvedMessage): AlertResolved {
  return {
    type: "AlertResolved",
    alertId: m.alertId,
    kind: known(alertKindName(m.kind), "alert kind", m.kind),
    subject: fromSubjectMessage(m.subject),
    at: m.timeUnixNano,
    // A reason only says why: one this build does not know (a newer replica's, in a rolling
    // upgrade) is read as unknown, so the saga's rebuild and ListAlerts read on past it.
    reason: reverse(REASONS, m.reason) ?? "unknown",
    value: m.value,
    unit: known(reverse(UNITS, m.unit), "alert unit", m.unit),
  };
}

function subjectMessage(subject: AlertSubject): AlertSubjectMessage {
  switch (subject.type) {
    case "span":
      return create(AlertSubjectSchema, {
        subject: {
          case: "span",
          value: { traceId: hexToBytes(subject.traceId), spanId: hexToBytes(subject.spanId), serviceName: subject.service, spanName: subject.operation },
        },
      });
    case "trace":
      return create(AlertSubjectSchema, {
        subject: { case: "trace", value: { traceId: hexToBytes(subject.traceId), serviceName: subject.service, spanName: subject.operation } },
      });
    case "service":
      return create(AlertSubjectSchema, { subject: { case: "service", value: { serviceName: subject.service } } });
    case "operation":
      return create(AlertSubjectSchema, { subject: { case: "operation", value: { serviceName: subject.service, spanName: subject.operation } } });
  }
}

function fromSubjectMessage(m: AlertSubjectMessage | undefined): AlertSubject {
  const s = m?.subject;
  switch (s?.case) {
    case "span":
      return { type: "span", traceId: bytesToHex(s.value.traceId), spanId: bytesToHex(s.value.spanId), service: s.value.serviceName, operation: s.value.spanName };
    case "trace":
      return { type: "trace", traceId: bytesToHex(s.value.traceId), service: s.value.serviceName, operation: s.value.spanName };
    case "service":
      return { type: "service", service: s.value.serviceName };
    case "operation":
      return { type: "operation", service: s.value.serviceName, operation: s.value.spanName };
    case undefined:
      throw new Error("an alert event without a subject");
  }
}

function expect<T extends AlertSubject["type"]>(subject: AlertSubject, type: T): Extract<AlertSubject, { type: T }> {
  if (subject.type !== type) throw new Error(`expected a ${type} subject, got a ${subject.type}`);
  return subject as Extract<AlertSubject, { type: T }>;
}

function known<T>(value: T | undefined, what: string, number: number): T {
  if (value === undefined) throw new Error(`unknown ${what} ${number}`);
  return value;
}

function reverse<K extends string, V>(table: Readonly<Record<K, V>>, value: V): K | undefined {
  for (const key of Object.keys(table) as K[]) if (table[key] === value) return key;
  return undefined;
}
