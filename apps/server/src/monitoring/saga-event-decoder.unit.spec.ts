// The saga's reading of stored events against protobuf-es: everything but
// attribute lists, links and resource attributes is the same, those are left
// empty, and the saga decides
// exactly the same over a generated load whichever decoder fed it.

import { create, toBinary } from "@bufbuild/protobuf";
import {
  KeyValueSchema,
  SpanAttributeUpdatedSchema,
  SpanEndedSchema,
  SpanEventRecordedSchema,
  SpanKind,
  SpanStartedSchema,
  StatusCode,
  type SpanStarted,
} from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { handleMonitoringInput, initialMonitoringState, monitoringConfig, type MonitoringOutput } from "../domain/monitoring/index.js";
import { simulate } from "../domain/monitoring/testing/monitoring-simulation.js";
import { NOW } from "../domain/testing/trace-specification.js";
import { decodeTraceEvent, encodeTraceEvent } from "../events/trace-event-codec.js";
import { decodeForSaga } from "./saga-event-decoder.js";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const attrs = [create(KeyValueSchema, { key: "http.route", value: { value: { case: "stringValue", value: "/orders/{id}" } } })];

describe("decodeForSaga", () => {
  it("reads SpanStarted as protobuf-es does but for attributes, links and resource attributes, left empty", () => {
    const full: SpanStarted = create(SpanStartedSchema, {
      traceId: bytes(16, 1),
      spanId: bytes(8, 2),
      parentSpanId: bytes(8, 3),
      parentIsRemote: true,
      name: "GET /orders/{id} ✓",
      kind: SpanKind.CONSUMER,
      serviceName: "orders",
      startTimeUnixNano: 2n ** 63n + 5n,
      attributes: attrs,
      tracestate: "vendor=1",
      links: [{ traceId: bytes(16, 4), spanId: bytes(8, 5), tracestate: "", attributes: attrs, droppedAttributesCount: 0, flags: 1 }],
      resourceAttributes: attrs,
      flags: 1,
      droppedAttributesCount: 3,
      truncatedValuesCount: 4,
      scopeName: "@opentelemetry/instrumentation-http",
    });
    const lean = decodeForSaga("SpanStarted", toBinary(SpanStartedSchema, full));
    expect(lean).toEqual({ case: "spanStarted", value: create(SpanStartedSchema, { ...full, attributes: [], links: [], resourceAttributes: [] }) });
  });

  it("reads SpanEnded with its status, attributes left empty", () => {
    const full = create(SpanEndedSchema, {
      traceId: bytes(16, 1),
      spanId: bytes(8, 2),
      endTimeUnixNano: 1_800_000_000_123_456_789n,
      status: { code: StatusCode.ERROR, message: "card declined" },
      endReason: 2,
      attributes: attrs,
      droppedAttributesCount: 1,
    });
    const lean = decodeForSaga("SpanEnded", toBinary(SpanEndedSchema, full));
    expect(lean.value).toEqual(create(SpanEndedSchema, { ...full, attributes: [] }));
    expect(decodeForSaga("SpanEnded", toBinary(SpanEndedSchema, create(SpanEndedSchema, { spanId: bytes(8, 2) }))).value).toEqual(
      create(SpanEndedSchema, { spanId: bytes(8, 2) }),
    );
  });

  it("leaves the attributes of span events and attribute updates empty", () => {
    const event = create(SpanEventRecordedSchema, { traceId: bytes(16, 1), spanId: bytes(8, 2), eventId: "e1", timeUnixNano: 42n, name: "retry", attributes: attrs });
    expect(decodeForSaga("SpanEventRecorded", toBinary(SpanEventRecordedSchema, event)).value).toEqual(
      create(SpanEventRecordedSchema, { ...event, attributes: [] }),
    );
    const update = create(SpanAttributeUpdatedSchema, { traceId: bytes(16, 1), spanId: bytes(8, 2), updateId: "u1", attributes: attrs, timeUnixNano: 43n });
    expect(decodeForSaga("SpanAttributeUpdated", toBinary(SpanAttributeUpdatedSchema, update)).value).toEqual(
      create(SpanAttributeUpdatedSchema, { ...update, attributes: [] }),
    );
  });

  it("feeds the saga so that it decides exactly what it decides from fully decoded events", () => {
    const SECOND = 1_000_000_000n;
    const config = monitoringConfig({ criticalErrorTypes: ["OutOfMemoryError"], orphanTimeoutNs: 30n * SECOND, traceIdleTimeoutNs: 20n * SECOND, statsRetentionNs: 120n * SECOND });
    const sim = simulate({ config, seed: 3, seconds: 120, drainSeconds: 60, tracesPerSecond: 30, start: NOW });
    const full = initialMonitoringState(config);
    const lean = initialMonitoringState(config);
    const fromFull: MonitoringOutput[] = [];
    const fromLean: MonitoringOutput[] = [];
    for (const input of sim.inputs) {
      if (input.type === "Tick") {
        fromFull.push(...handleMonitoringInput(full, input));
        fromLean.push(...handleMonitoringInput(lean, input));
        continue;
      }
      const { type, payload } = encodeTraceEvent(input.event);
      fromFull.push(...handleMonitoringInput(full, { ...input, event: decodeTraceEvent(type, payload) }));
      fromLean.push(...handleMonitoringInput(lean, { ...input, event: decodeForSaga(type, payload) }));
    }
    expect(fromFull.length).toBeGreaterThan(100);
    expect(fromLean).toEqual(fromFull);
  });
});
