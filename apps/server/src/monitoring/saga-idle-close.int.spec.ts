// The saga reads the log behind its writers, so what it judged idle may have moved
// on by the time its CloseTrace arrives: a span started in the trace meanwhile.
// The close names the version the saga judged, and the aggregate leaves a trace
// that moved past it alone; the saga reads the new events and judges again.

import { TraceCompletionReason } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventStore, GlobalCheckpoint, ReadAllResult } from "../event-store/event-store.js";
import { decodeTraceEvent } from "../events/trace-event-codec.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { endSpan, sagaHarness, SECOND, spanIdOf, startSpan, traceIdOf } from "./testing/saga-harness.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe("closing an idle trace begun elsewhere", () => {
  it("leaves a span that started after the saga's read running, and closes the trace once it is idle again", async () => {
    await db.sql`truncate events, subscriber_checkpoints, leases, monitoring_alerts, span_index, trace_summaries`;
    const h = sagaHarness(db.sql, { traceIdleTimeoutNs: 10n * SECOND, orphanTimeoutNs: 3600n * SECOND });
    // A store whose reads, while `behind`, see nothing new yet claim the log complete up to
    // now: the widest form of the window between the saga's read and its command's arrival.
    let behind = false;
    const lagging = Object.create(h.store) as EventStore;
    lagging.readAll = async (checkpoint: GlobalCheckpoint, limit: number): Promise<ReadAllResult> =>
      behind ? { events: [], checkpoint, horizon: h.clock.now } : h.store.readAll(checkpoint, limit);
    const runner = h.runner({ store: lagging });
    const submit = async (...commands: Parameters<typeof h.bus.submit>[0][]) => {
      for (const c of commands) {
        const r = await h.bus.submit(c);
        if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.message}`);
      }
    };
    const types = async (traceId: string) => (await h.store.readStream(traceId)).map((e) => decodeTraceEvent(e.type, e.payload));

    const [traceId, a, b] = [traceIdOf(), spanIdOf(), spanIdOf()];
    await submit(startSpan(traceId, a, h.clock.now, { parentSpanId: spanIdOf(), parentIsRemote: true }), endSpan(traceId, a, h.clock.now + SECOND));
    await runner.step(true); // the saga has read A's start and end: version 3
    behind = true;
    h.clock.advance(2n * SECOND);
    await submit(startSpan(traceId, b, h.clock.now, { parentSpanId: a }));
    h.clock.advance(10n * SECOND);
    await runner.step(true); // idle as far as the saga knows: CloseTrace at version 3
    expect((await types(traceId)).map((e) => e.case)).toEqual(["traceStarted", "spanStarted", "spanEnded", "spanStarted"]);

    h.clock.advance(SECOND);
    await submit(endSpan(traceId, b, h.clock.now)); // B ends as it ran: not orphaned
    behind = false;
    await runner.step(true); // reads B: the trace moved on, and is not idle yet
    expect((await types(traceId)).map((e) => e.case)).toEqual(["traceStarted", "spanStarted", "spanEnded", "spanStarted", "spanEnded"]);

    h.clock.advance(11n * SECOND);
    await runner.step(true); // idle again: closed at version 5
    const events = await types(traceId);
    expect(events.map((e) => e.case)).toEqual(["traceStarted", "spanStarted", "spanEnded", "spanStarted", "spanEnded", "traceCompleted"]);
    expect(events[5]!.value).toMatchObject({ reason: TraceCompletionReason.TIMED_OUT, orphanedSpanCount: 0, spanCount: 2 });
    await runner.stop();
    await h.close();
  });
});
