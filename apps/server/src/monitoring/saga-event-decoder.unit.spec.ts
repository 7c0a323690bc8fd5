// The saga's reading of stored events against protobuf-es: its own reader's
// fields, the shared reader for what that one leaves, and the saga decides
// exactly the same over a generated load whichever decoder fed it.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  KeyValueSchema,
  SpanEndedSchema,
  SpanKind,
  SpanStartedSchema,
  StatusCode,
  StatusSchema,
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
  it("reads only the saga's fields of an event the saga's reader knows", () => {
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
    expect(decodeForSaga("SpanStarted", toBinary(SpanStartedSchema, full))).toEqual({
      case: "spanStarted",
      value: { spanId: "0202020202020202", parentSpanId: "0303030303030303", name: "GET /orders/{id} ✓", kind: SpanKind.CONSUMER, serviceName: "orders", startTimeUnixNano: 2n ** 63n + 5n },
    });
  });

  it("leaves a payload its reader does not expect to the shared decoder, which reads it as it always did", () => {
    const full = create(SpanEndedSchema, {
      traceId: bytes(16, 1),
      spanId: bytes(8, 2),
      endTimeUnixNano: 1_800_000_000_123_456_789n,
      status: { code: StatusCode.ERROR, message: "card declined" },
      endReason: 2,
      attributes: attrs,
    });
    // The status twice: protobuf-es merges the two.
    const payload = new Uint8Array([...toBinary(SpanEndedSchema, full), ...toBinary(SpanEndedSchema, create(SpanEndedSchema, { status: { message: "again" } }))]);
    expect(decodeForSaga("SpanEnded", payload).value).toEqual(fromBinary(SpanEndedSchema, payload));
    expect(fromBinary(SpanEndedSchema, payload).status).toEqual(create(StatusSchema, { code: StatusCode.ERROR, message: "again" }));
    expect(() => decodeForSaga("SpanEnded", payload.subarray(0, 20))).toThrow();
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
