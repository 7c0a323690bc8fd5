// GetTrace as of a moment: the service over the read path (TraceReader), with the
// trace's events in memory.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { GetTraceRequestSchema, GetTraceResponseSchema, type GetTraceRequest, type GetTraceResponse } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { TraceCommandBus } from "../commands/trace-command-bus.js";
import { ROOT, T0, ms, spanStarted, traceStarted } from "../domain/testing/trace-fixtures.js";
import { TRACE } from "../domain/testing/trace-specification.js";
import { DEFAULT_SPAN_LIMITS } from "../domain/trace/span-limits.js";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import { InMemoryEventStore } from "../event-store/in-memory/in-memory-event-store.js";
import { TraceChangeFeed } from "../live/trace-change-feed.js";
import { MemoryViewStore } from "../trace-reads/testing/memory-view-store.js";
import { TraceReader } from "../trace-reads/trace-reader.js";
import { createTracingService } from "./tracing-service.js";

/** The root started at T0 and still runs; the server's clock says 60 s later. */
const NOW = T0 + ms(60_000);
const clock = () => NOW;

async function getTrace(asOf: GetTraceRequest["asOf"]) {
  const store = new InMemoryEventStore({ clock });
  const bus = new TraceCommandBus({ store, clock, newId: () => "unused", limits: DEFAULT_SPAN_LIMITS });
  const views = new MemoryViewStore([traceStarted(), spanStarted(ROOT)], (version) => T0 + BigInt(version));
  const service = createTracingService({
    bus,
    store,
    changes: new TraceChangeFeed(),
    listing: { listTraces: () => Promise.reject(new Error("unused")) },
    traces: new TraceReader({ store: views, clock }),
    clock,
    shutdown: new AbortController().signal,
  });
  try {
    // The answer is pre-encoded: decoded here as a client would.
    const answer = (await service.getTrace!(create(GetTraceRequestSchema, { traceId: hexToBytes(TRACE), asOf }), {} as HandlerContext)) as GetTraceResponse;
    return fromBinary(GetTraceResponseSchema, toBinary(GetTraceResponseSchema, answer)).trace!;
  } finally {
    await bus.close();
  }
}

describe("GetTrace as of a time", () => {
  it("past now is the trace as it is now: a running span is measured up to now, not up to that time", async () => {
    const trace = await getTrace({ case: "asOfTimeUnixNano", value: NOW + ms(3_600_000) });
    expect(trace.spans[0]!.durationNano).toBe(ms(60_000));
    expect(trace.durationNano).toBe(ms(60_000));
  });

  it("before now measures a span running then up to that time", async () => {
    const trace = await getTrace({ case: "asOfTimeUnixNano", value: T0 + ms(30_000) });
    expect(trace.spans[0]!.durationNano).toBe(ms(30_000));
  });
});
