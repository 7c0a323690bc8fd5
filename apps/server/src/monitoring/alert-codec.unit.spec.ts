// Every alert the saga decides over a generated load survives the trip through
// its protobuf message unchanged, so the monitoring stream can be folded back
// into the saga's state; and the message carries what clients read.

import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { AlertKind, AlertRaisedSchema, AlertResolvedSchema, AlertResolveReason, AlertSeverity, AlertUnit } from "@traceledger/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { monitoringConfig, type MonitoringEvent } from "../domain/monitoring/index.js";
import { simulate } from "../domain/monitoring/testing/monitoring-simulation.js";
import { NOW } from "../domain/testing/trace-specification.js";
import { decodeAlertEvent, encodeAlertEvent } from "./alert-codec.js";
import { alertEventId, toNewAlertEvent } from "./monitoring-stream.js";

const SECOND = 1_000_000_000n;
let events: MonitoringEvent[];

beforeAll(() => {
  const config = monitoringConfig({ criticalErrorTypes: ["OutOfMemoryError"], orphanTimeoutNs: 30n * SECOND, traceIdleTimeoutNs: 20n * SECOND, statsRetentionNs: 120n * SECOND });
  const sim = simulate({ config, seed: 11, seconds: 180, drainSeconds: 200, tracesPerSecond: 30, start: NOW });
  events = sim.outputs.filter((o): o is MonitoringEvent => o.type === "AlertRaised" || o.type === "AlertResolved");
});

describe("alert events as stored", () => {
  it("decode to exactly what was encoded, for every kind of alert and resolution", () => {
    const kinds = new Set(events.map((e) => `${e.type}/${e.kind}/${e.subject.type}`));
    expect(kinds.size).toBeGreaterThanOrEqual(12);
    for (const event of events) {
      const { type, payload } = encodeAlertEvent(event);
      expect(type).toBe(event.type);
      expect(decodeAlertEvent(type, payload)).toEqual(event);
    }
  });

  it("carry kind, severity, unit and ids as protobuf, and a stable event id per alert and type", () => {
    const critical = events.find((e) => e.type === "AlertRaised" && e.kind === "critical_error")!;
    const message = fromBinary(AlertRaisedSchema, encodeAlertEvent(critical).payload);
    expect(message).toMatchObject({ kind: AlertKind.CRITICAL_ERROR, severity: AlertSeverity.CRITICAL, unit: AlertUnit.COUNT, errorType: "OutOfMemoryError" });
    expect(message.subject?.subject.case).toBe("span");

    const stored = toNewAlertEvent(critical);
    expect(stored).toEqual(toNewAlertEvent(structuredClone(critical)));
    expect(stored.occurredAt).toBe(critical.at);
    const resolution = events.find((e) => e.type === "AlertResolved" && e.alertId === critical.alertId)!;
    expect(alertEventId(resolution)).not.toBe(stored.eventId);
    expect(new Set(events.map(alertEventId)).size).toBe(events.length);
  });

  it("read a resolve reason this build does not know (a newer replica's) as unknown: the saga and ListAlerts read on", () => {
    const resolution = events.find((e) => e.type === "AlertResolved")!;
    const message = fromBinary(AlertResolvedSchema, encodeAlertEvent(resolution).payload);
    message.reason = 99 as AlertResolveReason;
    const decoded = decodeAlertEvent("AlertResolved", toBinary(AlertResolvedSchema, message));
    expect(decoded).toEqual({ ...resolution, reason: "unknown" });
    expect(fromBinary(AlertResolvedSchema, encodeAlertEvent(decoded).payload).reason).toBe(AlertResolveReason.UNSPECIFIED);
  });

  it("refuse a type they do not know", () => {
    expect(() => decodeAlertEvent("SpanStarted", new Uint8Array())).toThrow('unknown monitoring event type "SpanStarted"');
  });
});
