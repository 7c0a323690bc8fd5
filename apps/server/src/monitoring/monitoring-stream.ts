// How alert events are written to the monitoring stream (the reserved stream
// of events/reserved-streams.ts). The event id is derived from the alert id and
// the event type, and the occurred time is the alert's own time: a replay or
// a second leader after a failover writes byte-identical events, which the
// store's idempotent append keeps once.

import type { MonitoringEvent } from "../domain/monitoring/index.js";
import type { NewEvent } from "../event-store/event-store.js";
import { deriveEventId } from "../events/event-id.js";
import { MONITORING_STREAM_ID } from "../events/reserved-streams.js";
import { encodeAlertEvent } from "./alert-codec.js";

export { MONITORING_STREAM_ID };

export function alertEventId(event: Pick<MonitoringEvent, "type" | "alertId">): string {
  return deriveEventId(MONITORING_STREAM_ID, `${event.type}:${event.alertId}`);
}

export function toNewAlertEvent(event: MonitoringEvent): NewEvent {
  const { type, payload } = encodeAlertEvent(event);
  return { eventId: alertEventId(event), type, payload, occurredAt: event.at };
}
