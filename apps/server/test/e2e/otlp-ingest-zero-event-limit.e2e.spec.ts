// OTEL_SPAN_EVENT_COUNT_LIMIT=0 keeps no span events, but an OTLP span that
// failed still counts as failed: its exception event, the only sign of the
// failure when its status is unset, becomes an error as it would under any other
// limit, and GetTrace and ListTraces count it. Before, the limit cut it with the
// events and the span was stored as if nothing had gone wrong.

import { create, toBinary } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { StatusCode } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { hex, newSpanId, newTraceId } from "./support/ids.js";
import { listedWhen } from "./support/listing.js";
import { serverPerFile } from "./support/server-per-file.js";

const e2e = serverPerFile({ OTEL_SPAN_EVENT_COUNT_LIMIT: "0" });

describe("an OTLP span whose only sign of failure is an exception event, with events limited to 0", () => {
  it("is counted as errored in GetTrace and ListTraces; its other events are dropped", async () => {
    const traceId = newTraceId();
    const T0 = 1_764_000_000_000_000_000n;
    const request = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: "zero-event-limit" } } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: newSpanId(),
                  name: "charge card",
                  kind: 2,
                  startTimeUnixNano: T0,
                  endTimeUnixNano: T0 + 1_000n,
                  events: [
                    { name: "retry", timeUnixNano: T0 + 1n },
                    { name: "exception", timeUnixNano: T0 + 2n, attributes: [{ key: "exception.message", value: { value: { case: "stringValue", value: "card declined" } } }] },
                  ],
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

    const view = (await e2e.client.getTrace({ traceId })).trace!;
    expect(view.errorCount).toBe(1);
    const span = view.spans[0]!;
    expect(span.status?.code).toBe(StatusCode.UNSPECIFIED);
    expect(span.errors.map((e) => e.message)).toEqual(["card declined"]);
    expect(span.events).toEqual([]);
    expect(span.droppedEventsCount).toBe(1);

    const listed = await listedWhen(
      e2e.server.projector,
      () => e2e.client.listTraces({ serviceName: "zero-event-limit" }),
      (page) => page.traces.some((t) => hex(t.traceId) === hex(traceId)),
      "the trace in ListTraces",
    );
    expect(listed.traces.find((t) => hex(t.traceId) === hex(traceId))?.errorCount).toBe(1);
  });
});
