// A stored event of the monitoring stream as MonitoringEventEnvelope: what
// WatchAlerts streams and the webhook posts.

import { create, fromBinary } from "@bufbuild/protobuf";
import { AlertRaisedSchema, AlertResolvedSchema, MonitoringEventEnvelopeSchema, type MonitoringEventEnvelope } from "@traceledger/proto";
import type { StoredEvent } from "../event-store/event-store.js";

export function toAlertEnvelope(stored: StoredEvent): MonitoringEventEnvelope {
  const event =
    stored.type === "AlertRaised"
      ? { case: "alertRaised" as const, value: fromBinary(AlertRaisedSchema, stored.payload) }
      : stored.type === "AlertResolved"
        ? { case: "alertResolved" as const, value: fromBinary(AlertResolvedSchema, stored.payload) }
        : undefined;
  if (!event) throw new Error(`unknown monitoring event type "${stored.type}"`);
  return create(MonitoringEventEnvelopeSchema, {
    eventId: stored.eventId,
    streamVersion: BigInt(stored.version),
    occurredTimeUnixNano: stored.occurredAt,
    recordedTimeUnixNano: stored.recordedAt,
    event: { event },
  });
}
