// The trace-listing projector's lag as /metrics reports it: after each slice,
// the age of the newest event it applied (projector clock minus the event's
// recorded time); 0 when it looked and found nothing new. Clocks are injected.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { TraceCommandBus } from "../commands/trace-command-bus.js";
import { DEFAULT_SPAN_LIMITS } from "../domain/trace/span-limits.js";
import { endSpan, startSpan } from "../domain/testing/trace-fixtures.js";
import { PostgresEventStore } from "../event-store/postgres/postgres-event-store.js";
import { TRACE_LISTING_SUBSCRIBER, TraceListingProjector } from "../projections/postgres/trace-listing-projector.js";
import { ServerMetrics } from "./server-metrics.js";
import { parsePrometheusText, matching, seriesOf } from "../../test/support/prometheus-text.js";

const SEC = 1_000_000_000n;
const BASE = 1_764_000_000n * SEC;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describe("trace-listing lag", () => {
  it("is the age of the newest event of each applied slice, then 0 once nothing is new", async () => {
    let storeNow = BASE;
    let projectorNow = BASE;
    const store = new PostgresEventStore(db.sql, { clock: () => storeNow });
    const bus = new TraceCommandBus({ store, clock: () => storeNow, newId: () => crypto.randomUUID(), limits: DEFAULT_SPAN_LIMITS });
    const traceId = "00000000000000000000000000001a90";
    // Events recorded at BASE, and the last one at BASE + 1 s.
    expect((await bus.submit(startSpan("00000000000000a1", { traceId, startTime: BASE }))).ok).toBe(true);
    storeNow = BASE + SEC;
    expect((await bus.submit(endSpan("00000000000000a1", { traceId, endTime: BASE + SEC }))).ok).toBe(true);
    await bus.close();

    const reported: number[] = [];
    const metrics = new ServerMetrics({ processMetrics: false });
    const projector = new TraceListingProjector({
      sql: db.sql,
      store,
      clock: () => projectorNow,
      batchSize: 2,
      onLag: (seconds) => {
        reported.push(seconds);
        metrics.setSubscriberLag(TRACE_LISTING_SUBSCRIBER, seconds);
      },
    });
    projectorNow = BASE + 4n * SEC;
    await projector.catchUp();
    // Two slices of two events (TraceStarted and SpanStarted at BASE; SpanEnded and TraceCompleted at BASE + 1 s), then an empty look.
    expect(reported).toEqual([4, 3, 0]);
    const families = parsePrometheusText(await metrics.render());
    expect(matching(seriesOf(families.get("traceledger_subscriber_lag_seconds")!), { subscriber: "trace-listing" }).map((s) => s.value)).toEqual([0]);
  });
});
