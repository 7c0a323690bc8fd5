// OTEL_SPAN_EVENT_COUNT_LIMIT and OTEL_SPAN_LINK_COUNT_LIMIT on the real server:
// a running span full of events (or errors) refuses the next one with
// FAILED_PRECONDITION and stores nothing, so one loop calling AddSpanEvent cannot
// grow its span until no answer could carry the trace; a start keeps its first
// links; an OTLP span keeps its first events, errors and links and counts the
// rest as dropped, beside what its reporter dropped.

import { create, toBinary } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { describe, expect, it } from "vitest";
import { connectError } from "./support/error-details.js";
import { hex, newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";

const e2e = serverPerFile({ OTEL_SPAN_EVENT_COUNT_LIMIT: "2", OTEL_SPAN_LINK_COUNT_LIMIT: "1" });

async function eventRows(traceId: Uint8Array): Promise<number> {
  return Number((await e2e.db.sql<{ n: bigint }[]>`select count(*)::int8 as n from events where trace_id = ${Buffer.from(traceId)}`)[0]!.n);
}

describe("a running span's events and errors", () => {
  it("past the limit are refused with FAILED_PRECONDITION, nothing stored; retries, errors and other spans unaffected", async () => {
    const { traceId, spanId } = await startRoot();
    await e2e.client.addSpanEvent({ traceId, spanId, eventId: "e1", name: "retry" });
    await e2e.client.addSpanEvent({ traceId, spanId, eventId: "e2", name: "retry" });
    const before = await eventRows(traceId);

    const refused = await e2e.client.addSpanEvent({ traceId, spanId, eventId: "e3", name: "retry" }).catch((e: unknown) => e);
    expect(connectError(refused)).toMatchObject({
      code: "failed_precondition",
      reason: "SPAN_EVENT_LIMIT_REACHED",
      metadata: { trace_id: hex(traceId), span_id: hex(spanId), limit: "2" },
    });
    expect(await eventRows(traceId)).toBe(before);

    // A retry of an event it took is answered as before; errors have their own room.
    await e2e.client.addSpanEvent({ traceId, spanId, eventId: "e2", name: "retry" });
    await e2e.client.recordError({ traceId, spanId, errorId: "x1", errorType: "Timeout", message: "upstream timed out" });
    await e2e.client.recordError({ traceId, spanId, errorId: "x2", errorType: "Timeout", message: "upstream timed out" });
    const third = await e2e.client.recordError({ traceId, spanId, errorId: "x3", errorType: "Timeout", message: "again" }).catch((e: unknown) => e);
    expect(connectError(third)).toMatchObject({ code: "failed_precondition", reason: "SPAN_ERROR_LIMIT_REACHED" });

    const child = newSpanId();
    await e2e.client.startSpan({ traceId, spanId: child, parentSpanId: spanId, name: "child", serviceName: "limits" });
    await e2e.client.addSpanEvent({ traceId, spanId: child, eventId: "e1", name: "own room" });

    const span = (await e2e.client.getTrace({ traceId })).trace!.spans.find((s) => hex(s.spanId) === hex(spanId))!;
    expect(span.events.map((e) => e.name)).toEqual(["retry", "retry"]);
    expect(span.errors.map((e) => e.message)).toEqual(["upstream timed out", "upstream timed out"]);
  });

  it("a start keeps its first links and counts the rest", async () => {
    const other = newTraceId();
    const links = [1, 2, 3].map((n) => ({ traceId: other, spanId: new Uint8Array(8).fill(n) }));
    const { traceId, spanId } = await startRoot({ links });
    const span = (await e2e.client.getTrace({ traceId })).trace!.spans.find((s) => hex(s.spanId) === hex(spanId))!;
    expect(span.links.map((l) => hex(l.spanId))).toEqual([hex(links[0]!.spanId)]);
    expect(span.droppedLinksCount).toBe(2);
  });
});

describe("an OTLP span past the limits", () => {
  it("keeps its first events, errors and links; the rest are counted with its reporter's drops", async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    const T0 = 1_764_000_000_000_000_000n;
    const event = (name: string, n: number) => ({ name, timeUnixNano: T0 + BigInt(n) });
    const exception = (message: string, n: number) => ({
      name: "exception",
      timeUnixNano: T0 + BigInt(n),
      attributes: [{ key: "exception.message", value: { value: { case: "stringValue" as const, value: message } } }],
    });
    const request = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: "otlp-limits" } } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId,
                  name: "busy",
                  kind: 2,
                  startTimeUnixNano: T0,
                  endTimeUnixNano: T0 + 1_000n,
                  events: [event("a", 1), exception("first", 2), event("b", 3), event("c", 4), exception("second", 5), exception("third", 6)],
                  droppedEventsCount: 10,
                  links: [1, 2].map((n) => ({ traceId: newTraceId(), spanId: new Uint8Array(8).fill(n) })),
                  droppedLinksCount: 3,
                },
              ],
            },
          ],
        },
      ],
    });
    const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: toBinary(ExportTraceServiceRequestSchema, request),
    });
    expect(response.status).toBe(200);
    const span = (await e2e.client.getTrace({ traceId })).trace!.spans[0]!;
    expect(span.events.map((e) => e.name)).toEqual(["a", "b"]);
    expect(span.errors.map((e) => e.message)).toEqual(["first", "second"]);
    expect(span.droppedEventsCount).toBe(10 + 1 + 1);
    expect(span.links).toHaveLength(1);
    expect(span.droppedLinksCount).toBe(3 + 1);
  });
});

async function startRoot(fields: { links?: { traceId: Uint8Array; spanId: Uint8Array }[] } = {}) {
  const traceId = newTraceId();
  const spanId = newSpanId();
  await e2e.client.startSpan({ traceId, spanId, name: "loop", serviceName: "limits", ...fields });
  return { traceId, spanId };
}
