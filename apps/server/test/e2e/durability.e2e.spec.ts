// Durability across a restart: what the server acknowledged is in PostgreSQL,
// so a new server on the same database (with an empty cache and a fresh
// projector) shows all of it, answers retries of old commands with their
// original results, and carries the traces on.

import { StatusCode, TraceState, SpanState, type EventEnvelope, type Trace } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { hex, newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { connectClient, startServer } from "./support/in-process-server.js";
import { listedWhen } from "./support/listing.js";

let db: TestDatabase;
const servers: Traceledger[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const server of servers) await server.stop();
  await db?.drop();
});

async function start(): Promise<Traceledger> {
  const server = await startServer(db.url);
  servers.push(server);
  return server;
}

/** What must survive: the spans' identities and lifecycle, not the running durations measured at read time. */
function lasting(trace: Trace) {
  return {
    version: trace.version,
    state: trace.state,
    spanCount: trace.spanCount,
    errorCount: trace.errorCount,
    rootSpanId: hex(trace.rootSpanId),
    spans: trace.spans
      .map((s) => ({ id: hex(s.spanId), parent: hex(s.parentSpanId), name: s.name, state: s.state, start: s.startTimeUnixNano, end: s.endTimeUnixNano, errors: s.errors.length, events: s.events.length }))
      .sort((a, b) => a.id.localeCompare(b.id)),
  };
}

describe("a restart on the same database", () => {
  it("keeps every acknowledged span, event and listing", async () => {
    const first = await start();
    const before = connectClient(first.grpcAddress);

    // An open trace with running and ended spans, and a completed one.
    const openTrace = newTraceId();
    const root = newSpanId();
    await before.startTrace({ traceId: openTrace, spanId: root, name: "long job", serviceName: "restart" });
    const children = Array.from({ length: 20 }, () => ({ spanId: newSpanId(), start: nowNanos() }));
    const acks = await Promise.all(
      children.map((c, i) => before.startSpan({ traceId: openTrace, parentSpanId: root, spanId: c.spanId, startTimeUnixNano: c.start, name: `step ${i}`, serviceName: "restart-worker" })),
    );
    for (const c of children.slice(0, 10)) await before.endSpan({ traceId: openTrace, spanId: c.spanId, status: { code: StatusCode.OK } });
    await before.recordError({ traceId: openTrace, spanId: children[10]!.spanId, errorId: "e1", errorType: "Flaky", message: "retrying" });

    const done = await before.startTrace({ name: "quick job", serviceName: "restart" });
    await before.endSpan({ traceparent: done.traceparent });

    const openBefore = (await before.getTrace({ traceId: openTrace })).trace!;
    const eventsBefore: EventEnvelope[] = (await before.getTraceEvents({ traceId: openTrace })).events;
    const doneEventsBefore = (await before.getTraceEvents({ traceId: done.traceId })).events;
    expect(openBefore.spanCount).toBe(21);

    await first.stop();

    const second = await start();
    const after = connectClient(second.grpcAddress);
    const openAfter = (await after.getTrace({ traceId: openTrace })).trace!;
    expect(lasting(openAfter)).toEqual(lasting(openBefore));
    expect((await after.getTraceEvents({ traceId: openTrace })).events).toEqual(eventsBefore);
    expect((await after.getTraceEvents({ traceId: done.traceId })).events).toEqual(doneEventsBefore);
    expect((await after.getTrace({ traceId: done.traceId })).trace!.state).toBe(TraceState.COMPLETED);

    const listed = await listedWhen(
      second.projector,
      () => after.listTraces({ serviceName: "restart" }),
      (l) => l.traces.length === 2 && l.traces.some((t) => t.state === TraceState.COMPLETED),
      "ListTraces on the restarted server to list both traces",
    );
    expect(listed.traces.map((t) => [hex(t.traceId), t.state, t.spanCount]).sort()).toEqual(
      [
        [hex(openTrace), TraceState.OPEN, 21],
        [hex(done.traceId), TraceState.COMPLETED, 1],
      ].sort(),
    );

    // The new server, with nothing cached, answers a retry of an old start with the original result.
    const retried = await after.startSpan({ traceId: openTrace, parentSpanId: root, spanId: children[3]!.spanId, startTimeUnixNano: children[3]!.start, name: "step 3", serviceName: "restart-worker" });
    expect(retried).toEqual(acks[3]);

    // And carries the open trace on to completion.
    for (const c of children.slice(10)) await after.endSpan({ traceId: openTrace, spanId: c.spanId });
    expect((await after.endSpan({ traceId: openTrace, spanId: root })).traceCompleted).toBe(true);
    const finished = (await after.getTrace({ traceId: openTrace })).trace!;
    expect(finished.state).toBe(TraceState.COMPLETED);
    expect(finished.spans.every((s) => s.state === SpanState.ENDED)).toBe(true);
    expect((await after.getTraceEvents({ traceId: openTrace })).events.map((e) => e.streamVersion)).toEqual(
      // TraceStarted, 21 starts, 1 error, 21 ends, TraceCompleted
      Array.from({ length: 1 + 21 + 1 + 21 + 1 }, (_, i) => BigInt(i + 1)),
    );
  });
});
