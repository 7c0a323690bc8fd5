// GetTrace answers from snapshots and an in-process cache (src/trace-reads):
// checked here on real servers against the audit trail itself. Every answer
// must equal the fold of GetTraceEvents up to that version, whichever replica
// answers, whatever it cached, and through the JSON door too.

import { toBinary } from "@bufbuild/protobuf";
import { SpanState, StatusCode, TraceSchema, TraceState, type EventEnvelope, type Trace } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TraceEventCase } from "../../src/domain/trace/trace-event.js";
import { buildTraceView } from "../../src/projections/testing/build-trace-view.js";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { callJson } from "./support/connect-json.js";
import { hex, newSpanId, newTraceId } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";

let db: TestDatabase;
let a: Traceledger;
let b: Traceledger;
let clientA: TracingClient;
let clientB: TracingClient;

beforeAll(async () => {
  db = await createTestDatabase();
  // Snapshots every 16 events, so that a few hundred events cross many of them.
  [a, b] = await Promise.all([startServer(db.url, { TRACELEDGER_VIEW_SNAPSHOT_EVERY: "16" }), startServer(db.url, { TRACELEDGER_VIEW_SNAPSHOT_EVERY: "16" })]);
  clientA = connectClient(a.grpcAddress);
  clientB = connectClient(b.grpcAddress);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.drop();
});

async function auditTrail(client: TracingClient, traceId: Uint8Array): Promise<EventEnvelope[]> {
  return (await client.getTraceEvents({ traceId, pageSize: 5000 })).events;
}

/** The view as of `version`, folded here from the audit trail: what GetTrace must answer. */
function foldedAt(traceId: Uint8Array, trail: readonly EventEnvelope[], version: number): Trace {
  const events = trail.slice(0, version).map((e) => e.event!.event as TraceEventCase);
  return buildTraceView(hex(traceId), events, trail[version - 1]!.recordedTimeUnixNano);
}

const bytesOf = (trace: Trace | undefined) => Buffer.from(toBinary(TraceSchema, trace!)).toString("base64");

async function grow(client: TracingClient, traceId: Uint8Array, root: Uint8Array, spans: number, prefix: string): Promise<void> {
  for (let i = 0; i < spans; i++) {
    const spanId = newSpanId();
    await client.startSpan({ traceId, parentSpanId: root, spanId, name: `${prefix} ${i}`, serviceName: prefix, attributes: [{ key: "i", value: { value: { case: "intValue", value: BigInt(i) } } }] });
    if (i % 3 === 0) await client.addSpanEvent({ traceId, spanId, eventId: `ev-${i}`, name: "cache.miss" });
    if (i % 4 !== 1) await client.endSpan({ traceId, spanId, status: { code: i % 5 === 0 ? StatusCode.ERROR : StatusCode.OK } });
  }
}

describe("GetTrace served from snapshots and the view cache", () => {
  it("sees what another replica appended since this one cached the trace", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    await clientB.startTrace({ traceId, spanId: root, name: "replicated", serviceName: "b" });
    for (let round = 0; round < 4; round++) {
      await grow(clientB, traceId, root, 10, `round-${round}`);
      const fromA = (await clientA.getTrace({ traceId })).trace!;
      const fromB = (await clientB.getTrace({ traceId })).trace!;
      const trail = await auditTrail(clientB, traceId);
      expect(fromA.version).toBe(BigInt(trail.length));
      expect(fromA.spanCount).toBe(1 + 10 * (round + 1));
      expect(fromA.spans.map((s) => [hex(s.spanId), s.state])).toEqual(fromB.spans.map((s) => [hex(s.spanId), s.state]));
    }
    await clientB.endSpan({ traceId, spanId: root });
    const done = (await clientA.getTrace({ traceId })).trace!;
    expect(done.spans.find((s) => hex(s.spanId) === hex(root))!.state).toBe(SpanState.ENDED);
  });

  it("answers every version as the fold of the audit trail, on both replicas, through gRPC and JSON", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    await clientA.startTrace({ traceId, spanId: root, name: "long", serviceName: "a" });
    await grow(clientA, traceId, root, 40, "a");
    await grow(clientB, traceId, root, 40, "b");
    await clientA.endSpan({ traceId, spanId: root });
    const trail = await auditTrail(clientA, traceId);
    expect(trail.length).toBeGreaterThan(150);

    // The first reads fold everything and store snapshots on the way; later reads start from them.
    for (const client of [clientA, clientB, clientA]) {
      for (let version = 1; version <= trail.length; version += version < 20 ? 1 : 7) {
        const answer = (await client.getTrace({ traceId, asOf: { case: "asOfVersion", value: BigInt(version) } })).trace;
        expect(bytesOf(answer), `version ${version}`).toBe(bytesOf(foldedAt(traceId, trail, version)));
      }
    }
    const stored = await db.sql<{ n: number }[]>`select count(*)::int as n from trace_view_snapshots where trace_id = ${Buffer.from(traceId)}`;
    expect(stored[0]!.n).toBeGreaterThanOrEqual(Math.floor(trail.length / 16));

    // Now: running spans are measured to the server's clock, so compare what does not depend on it.
    const current = (await clientB.getTrace({ traceId })).trace!;
    const folded = foldedAt(traceId, trail, trail.length);
    expect(current.state).toBe(TraceState.OPEN);
    expect(current.version).toBe(BigInt(trail.length));
    expect(current.spans.map((s) => [hex(s.spanId), s.state, s.events.length])).toEqual(folded.spans.map((s) => [hex(s.spanId), s.state, s.events.length]));

    // Connect JSON: the same trace, decoded for JSON from the pre-encoded answer.
    const json = await callJson<{ trace: { version: string; spans: Array<{ spanId: string }> } }>(b.httpAddress, "GetTrace", {
      traceId: Buffer.from(traceId).toString("base64"),
      asOfVersion: String(trail.length),
    });
    expect(json.trace.version).toBe(String(trail.length));
    expect(json.trace.spans.map((s) => Buffer.from(s.spanId, "base64").toString("hex"))).toEqual(current.spans.map((s) => hex(s.spanId)));
  }, 60_000);

  it("answers as of a time from the snapshots, as the fold of what was recorded by then", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    await clientA.startTrace({ traceId, spanId: root, name: "timed", serviceName: "a" });
    await grow(clientA, traceId, root, 30, "t");
    const trail = await auditTrail(clientA, traceId);
    await clientB.getTrace({ traceId });
    for (const envelope of trail.filter((_, i) => i % 9 === 0)) {
      const at = envelope.recordedTimeUnixNano;
      const version = trail.filter((e) => e.recordedTimeUnixNano <= at).length;
      const events = trail.slice(0, version).map((e) => e.event!.event as TraceEventCase);
      const answer = (await clientB.getTrace({ traceId, asOf: { case: "asOfTimeUnixNano", value: at } })).trace;
      expect(bytesOf(answer), `time ${at}`).toBe(bytesOf(buildTraceView(hex(traceId), events, at)));
    }
  });
});
