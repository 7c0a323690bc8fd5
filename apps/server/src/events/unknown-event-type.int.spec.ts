// An event type this server does not know (a newer replica wrote it during a
// rolling upgrade): the views rebuilt from the log (the ListTraces projector,
// the saga, GetTrace's view) skip it and read on, for every trace (before,
// GetTrace answered INTERNAL at every moment after it); GetTraceEvents names it
// without a body; the aggregate refuses to decide the trace that holds it
// (INTERNAL, that trace alone) rather than fold it wrongly; export stops at it
// rather than lose it (otlp-span-transcoder.unit.spec.ts). Before, the
// projector and the saga stopped at it for every trace, and a command on its
// trace failed the whole group commit.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { endSpan, sagaHarness, SECOND, spanIdOf, startSpan, traceIdOf, type Harness } from "../monitoring/testing/saga-harness.js";
import { TraceListingProjector } from "../projections/postgres/trace-listing-projector.js";
import { toEnvelope } from "../rpc/event-envelope.js";
import { createTraceReader } from "../trace-reads/create-trace-reader.js";
import { fromBinary } from "@bufbuild/protobuf";
import { GetTraceResponseSchema, SpanState } from "@traceledger/proto";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function submit(h: Harness, ...commands: Parameters<Harness["bus"]["submit"]>[0][]): Promise<void> {
  for (const result of await h.bus.submitAll(commands)) if (!result.ok) throw new Error(`${result.error.reason}: ${result.error.message}`);
}

describe("an event type this server does not know", () => {
  it("is skipped by the projector and the saga, which read every later event of every trace", async () => {
    const h = sagaHarness(db.sql);
    const [t1, s1] = [traceIdOf(), spanIdOf()];
    await submit(h, startSpan(t1, s1, h.clock.now));
    await h.store.append({ streamId: t1, expectedVersion: "any", events: [{ eventId: randomUUID(), type: "SpanLinkAdded", payload: new Uint8Array([10, 0]), occurredAt: h.clock.now }] });
    const [t2, s2] = [traceIdOf(), spanIdOf()];
    h.clock.advance(SECOND);
    await submit(h, startSpan(t2, s2, h.clock.now));
    h.clock.advance(SECOND);
    await submit(h, endSpan(t2, s2, h.clock.now));

    const projector = new TraceListingProjector({ sql: db.sql, store: h.store, clock: h.clock.read });
    await projector.catchUp();
    const listed = (await db.sql<{ id: string }[]>`select encode(trace_id, 'hex') as id from trace_summaries order by 1`).map((r) => r.id);
    expect(listed).toEqual([t1, t2].sort());

    const runner = h.runner();
    // It read past the unknown event: t1 still runs, t2 (after it in the log) completed and is let go.
    await runner.step(true);
    expect([...runner.state.traces.keys()]).toEqual([t1]);
    expect(runner.state.traces.get(t1)!.running.size).toBe(1);
    await runner.stop();

    const envelopes = (await h.store.readStream(t1)).map(toEnvelope);
    expect(envelopes.map((e) => [e.type, e.event?.event.case])).toEqual([
      ["traceledger.v1.TraceStarted", "traceStarted"],
      ["traceledger.v1.SpanStarted", "spanStarted"],
      ["traceledger.v1.SpanLinkAdded", undefined],
    ]);
    await h.close();
  });

  it("is skipped by GetTrace's view, which counts its version and shows the rest, now and as of its version", async () => {
    const h = sagaHarness(db.sql);
    const [t1, s1] = [traceIdOf(), spanIdOf()];
    await submit(h, startSpan(t1, s1, h.clock.now));
    await h.store.append({ streamId: t1, expectedVersion: "any", events: [{ eventId: randomUUID(), type: "SpanLinkAdded", payload: new Uint8Array([10, 0]), occurredAt: h.clock.now }] });
    const reads = createTraceReader(db.sql, { clock: h.clock.read, cacheBytes: 1 << 20, snapshotEvery: 2, onError: (error) => expect.fail(String(error)) });
    // Versions: 1 TraceStarted, 2 SpanStarted, 3 the unknown event.
    for (const moment of [{ kind: "now" }, { kind: "version", version: 3 }] as const) {
      const trace = fromBinary(GetTraceResponseSchema, (await reads.read(t1, moment))!).trace!;
      expect(trace.version, JSON.stringify(moment)).toBe(3n);
      expect(trace.spans.map((s) => s.state)).toEqual([SpanState.RUNNING]);
    }
    await reads.close();
    await h.close();
  });

  it("fails only its own trace's commands, not the group commit they share with others", async () => {
    const h = sagaHarness(db.sql);
    const [t1, s1] = [traceIdOf(), spanIdOf()];
    await submit(h, startSpan(t1, s1, h.clock.now));
    await h.store.append({ streamId: t1, expectedVersion: "any", events: [{ eventId: randomUUID(), type: "SpanLinkAdded", payload: new Uint8Array([10, 0]), occurredAt: h.clock.now }] });
    // A fresh bus (nothing cached): the trace is read from the store.
    const fresh = sagaHarness(db.sql);
    const [t2, s2] = [traceIdOf(), spanIdOf()];
    const results = await fresh.bus.submitAll([endSpan(t1, s1, fresh.clock.now), startSpan(t2, s2, fresh.clock.now)]);
    expect(results.map((r) => (r.ok ? "ok" : r.error.reason))).toEqual(["INTERNAL_ERROR", "ok"]);
    await fresh.close();
    await h.close();
  });
});
