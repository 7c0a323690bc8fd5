// The saga's reader against the whole-message decoders: for every event type it
// gives exactly the saga's fields of what protobuf-es decodes, and what it does
// not expect it leaves to the shared reader.

import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  KeyValueSchema,
  OrphanReason,
  SpanEndedSchema,
  SpanKind,
  SpanOrphanedSchema,
  SpanStartedSchema,
  StatusCode,
  TraceCompletedSchema,
} from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { monitoringConfig } from "../domain/monitoring/index.js";
import type { SagaTraceEvent } from "../domain/monitoring/saga-trace-event.js";
import { simulate } from "../domain/monitoring/testing/monitoring-simulation.js";
import { attributesUpdated, errorOccurred, eventRecorded, spanEnded, spanStarted, traceCompleted, traceStarted } from "../domain/testing/trace-fixtures.js";
import { NOW } from "../domain/testing/trace-specification.js";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { decodeTraceEvent, encodeTraceEvent } from "../events/trace-event-codec.js";
import { readSagaEvent } from "./saga-event-reader.js";

/** What the saga reads of a whole event, span ids as the reader gives them: hex. */
function sagaFields(event: TraceEventCase): SagaTraceEvent {
  switch (event.case) {
    case "traceStarted": {
      const { startTimeUnixNano, serviceName } = event.value;
      return { case: event.case, value: { startTimeUnixNano, serviceName } };
    }
    case "spanStarted": {
      const { spanId, parentSpanId, name, kind, serviceName, startTimeUnixNano } = event.value;
      return { case: event.case, value: { spanId: bytesToHex(spanId), parentSpanId: bytesToHex(parentSpanId), name, kind, serviceName, startTimeUnixNano } };
    }
    case "spanEnded": {
      const { spanId, endTimeUnixNano, status, endReason, name } = event.value;
      const id = bytesToHex(spanId);
      return { case: event.case, value: status === undefined ? { spanId: id, endTimeUnixNano, endReason, name } : { spanId: id, endTimeUnixNano, status: { code: status.code }, endReason, name } };
    }
    case "spanOrphaned": {
      const { spanId, closedTimeUnixNano, openDurationNano } = event.value;
      return { case: event.case, value: { spanId: bytesToHex(spanId), closedTimeUnixNano, openDurationNano } };
    }
    case "spanErrorOccurred": {
      const { spanId, errorId, timeUnixNano, errorType, message } = event.value;
      return { case: event.case, value: { spanId: bytesToHex(spanId), errorId, timeUnixNano, errorType, message } };
    }
    case "spanEventRecorded":
    case "spanAttributeUpdated":
      return { case: event.case, value: {} };
    case "traceCompleted": {
      const { startTimeUnixNano, endTimeUnixNano, durationNano } = event.value;
      return { case: event.case, value: { startTimeUnixNano, endTimeUnixNano, durationNano } };
    }
  }
}

/** As protobuf-es decodes it, then narrowed: the reference. */
function expected(type: string, payload: Uint8Array): SagaTraceEvent {
  return sagaFields(decodeTraceEvent(type, payload));
}

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const attrs = [create(KeyValueSchema, { key: "http.route", value: { value: { case: "stringValue", value: "/orders/{id}" } } })];

describe("readSagaEvent", () => {
  it("reads the saga's fields of every event type as protobuf-es decodes them", () => {
    const events: TraceEventCase[] = [
      traceStarted({ service: "checkout ✓" }),
      spanStarted("00f067aa0ba902b7", { name: "GET /orders/{id}", serviceName: "orders", kind: SpanKind.CONSUMER, parentSpanId: "b7ad6b7169203331", attributes: attrs }),
      spanStarted("00f067aa0ba902b7", { parentSpanId: "" }),
      spanEnded("00f067aa0ba902b7", { statusCode: StatusCode.ERROR, statusMessage: "card declined" }),
      spanEnded("00f067aa0ba902b7", { name: "GET /orders/{id} ✓" }),
      errorOccurred("00f067aa0ba902b7", { errorType: "OutOfMemoryError", message: "heap" }),
      eventRecorded("00f067aa0ba902b7"),
      attributesUpdated("00f067aa0ba902b7"),
      traceCompleted({}),
      {
        case: "spanOrphaned",
        value: create(SpanOrphanedSchema, { traceId: bytes(16, 1), spanId: bytes(8, 2), closedTimeUnixNano: 2n ** 63n + 7n, reason: OrphanReason.TIMEOUT, openDurationNano: 2n ** 40n }),
      },
    ];
    for (const event of events) {
      const { type, payload } = encodeTraceEvent(event);
      expect(readSagaEvent(type, payload), type).toEqual(expected(type, payload));
    }
  });

  it("leaves out the status of a SpanEnded without one, and keeps an unset status code of one given", () => {
    const bare = create(SpanEndedSchema, { spanId: bytes(8, 2), endTimeUnixNano: 5n });
    expect(readSagaEvent("SpanEnded", toBinary(SpanEndedSchema, bare))).toEqual({ case: "spanEnded", value: { spanId: "0202020202020202", endTimeUnixNano: 5n, endReason: 0, name: "" } });
    const empty = create(SpanEndedSchema, { spanId: bytes(8, 2), status: { message: "m" } });
    expect(readSagaEvent("SpanEnded", toBinary(SpanEndedSchema, empty))?.value).toEqual({ spanId: "0202020202020202", endTimeUnixNano: 0n, status: { code: 0 }, endReason: 0, name: "" });
  });

  it("gives span ids of any length as lowercase hex", () => {
    for (const id of [bytes(8, 0xab), Uint8Array.from([0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x10, 0x0a]), bytes(4, 0xc3), bytes(16, 0x5e)]) {
      const payload = toBinary(SpanEndedSchema, create(SpanEndedSchema, { spanId: id }));
      expect((readSagaEvent("SpanEnded", payload)?.value as { spanId: string }).spanId).toBe(Buffer.from(id).toString("hex"));
    }
  });

  it("reads every event of a simulated load as protobuf-es does, the saga's fields of it", () => {
    const config = monitoringConfig({ criticalErrorTypes: ["OutOfMemoryError"] });
    const sim = simulate({ config, seed: 5, seconds: 30, drainSeconds: 400, tracesPerSecond: 20, start: NOW });
    const cases = new Set<string>();
    for (const input of sim.inputs) {
      if (input.type !== "TraceEventRecorded") continue;
      const { type, payload } = encodeTraceEvent(input.event);
      cases.add(input.event.case);
      expect(readSagaEvent(type, payload)).toEqual(expected(type, payload));
    }
    expect(cases.size).toBeGreaterThanOrEqual(5);
  });

  it("steps over fields no message declares, as protobuf-es does (it keeps them as unknown fields)", () => {
    const known = toBinary(TraceCompletedSchema, create(TraceCompletedSchema, { traceId: bytes(16, 1), startTimeUnixNano: 10n, endTimeUnixNano: 30n, durationNano: 20n }));
    const writer = new BinaryWriter();
    writer.tag(90, WireType.LengthDelimited).bytes(bytes(3, 9));
    writer.tag(91, WireType.Varint).uint64(2n ** 60n);
    writer.tag(92, WireType.Bit32).fixed32(7);
    writer.tag(93, WireType.Bit64).fixed64(8n);
    const payload = new Uint8Array([...known, ...writer.finish()]);
    expect(readSagaEvent("TraceCompleted", payload)).toEqual(expected("TraceCompleted", payload));
    expect(readSagaEvent("TraceCompleted", payload)?.value).toEqual({ startTimeUnixNano: 10n, endTimeUnixNano: 30n, durationNano: 20n });
  });

  it("leaves to the shared reader a declared field of another wire type, a status given twice, a truncated payload or an unknown type", () => {
    const wrongType = new BinaryWriter().tag(2, WireType.Varint).uint32(5).finish();
    expect(readSagaEvent("SpanStarted", wrongType)).toBeUndefined();
    const skippedWrongType = new BinaryWriter().tag(9, WireType.Varint).uint32(5).finish(); // attributes are messages
    expect(readSagaEvent("SpanStarted", skippedWrongType)).toBeUndefined();
    const status = new BinaryWriter().tag(3, WireType.Varint).int32(StatusCode.ERROR).finish();
    const twice = new BinaryWriter().tag(4, WireType.LengthDelimited).bytes(status).tag(4, WireType.LengthDelimited).bytes(status).finish();
    expect(readSagaEvent("SpanEnded", twice)).toBeUndefined();
    const whole = toBinary(SpanStartedSchema, create(SpanStartedSchema, { spanId: bytes(8, 2), name: "GET /", serviceName: "orders", startTimeUnixNano: 3n }));
    for (let cut = 1; cut < whole.length; cut++) {
      const read = readSagaEvent("SpanStarted", whole.subarray(0, cut));
      // A cut between two fields is a shorter message, which protobuf-es reads too.
      if (read !== undefined) expect(read).toEqual(expected("SpanStarted", whole.subarray(0, cut)));
    }
    expect(readSagaEvent("SpanStarted", whole.subarray(0, whole.length - 1))).toBeUndefined();
    expect(readSagaEvent("SpanLinked", whole)).toBeUndefined();
  });
});
