import { create, toBinary } from "@bufbuild/protobuf";
import { IngestBatchResponseSchema } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import type { CommandResult } from "../../commands/command-result.js";
import { traceError } from "../../domain/trace/trace-error.js";
import { batchResult } from "../testing/batch-result.js";
import { writeIngestBatchResponse } from "./write-ingest-batch-response.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

const results: Array<[CommandResult, boolean]> = [
  [{ ok: true, traceId: TRACE, outcome: { type: "SpanStarted", spanId: SPAN, flags: 1, version: 2, traceStarted: true, limited: 0 } }, true],
  [{ ok: true, traceId: TRACE, outcome: { type: "SpanStarted", spanId: SPAN, flags: 0, version: 300, traceStarted: true, limited: 3 } }, false],
  [{ ok: true, traceId: TRACE, outcome: { type: "SpanStarted", spanId: SPAN, flags: 0x81, version: 1, traceStarted: false, limited: 0 } }, true],
  [{ ok: true, traceId: TRACE, outcome: { type: "SpanEnded", version: 12, durationNano: 25_000_000n, traceCompleted: true } }, false],
  [{ ok: true, traceId: TRACE, outcome: { type: "SpanEnded", version: 2 ** 31 - 1, durationNano: 0n, traceCompleted: false } }, false],
  [{ ok: true, traceId: TRACE, outcome: { type: "SpanEnded", version: 5, durationNano: 2n ** 63n + 7n, traceCompleted: false } }, false],
  [{ ok: true, traceId: TRACE, outcome: { type: "ErrorRecorded", errorId: "e-1", version: 7 } }, false],
  [{ ok: true, traceId: TRACE, outcome: { type: "EventRecorded", eventId: "", version: 8 } }, false],
  [{ ok: true, traceId: TRACE, outcome: { type: "AttributesSet", updateId: "u☃", version: 9, limited: 1 } }, false],
  [{ ok: false, traceId: TRACE, error: traceError("failed_precondition", "SPAN_ALREADY_ENDED", "x".repeat(200), { trace_id: TRACE, span_id: SPAN, empty: "" }) }, false],
  [{ ok: false, traceId: "", error: traceError("invalid_argument", "MISSING_COMMAND", "a batch entry must set one command") }, false],
  [{ ok: false, traceId: TRACE, error: { kind: "unavailable", reason: "STORE_UNAVAILABLE", message: "naïve", metadata: {} } }, true],
];

describe("writeIngestBatchResponse", () => {
  it("writes the bytes protobuf-es writes for the same results", () => {
    const expected = toBinary(IngestBatchResponseSchema, create(IngestBatchResponseSchema, { results: results.map(([r, start]) => batchResult(r, start)) }));
    const written = writeIngestBatchResponse(
      results.map(([r]) => r),
      (i) => results[i]![1],
    );
    expect(Buffer.from(written).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
  });

  it("grows past its first guess (long messages, many results)", () => {
    const many = Array.from({ length: 300 }, (_, i) => results[i % results.length]!);
    const expected = toBinary(IngestBatchResponseSchema, create(IngestBatchResponseSchema, { results: many.map(([r, start]) => batchResult(r, start)) }));
    expect(Buffer.from(writeIngestBatchResponse(many.map(([r]) => r), (i) => many[i]![1])).equals(Buffer.from(expected))).toBe(true);
  });

  it("writes an empty response for an empty batch", () => {
    expect(writeIngestBatchResponse([], () => false).length).toBe(0);
  });
});
