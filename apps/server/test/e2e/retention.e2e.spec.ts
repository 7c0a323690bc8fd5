// TRACELEDGER_RETENTION on the real server, in real time (a retention of 3 s, so a
// pass every second): a finished trace is gone from GetTrace, ListTraces and the
// log once its last event is older than that, while a trace still written to,
// begun before it, stays whole; the deletions are counted in /metrics.

import { Code, ConnectError } from "@connectrpc/connect";
import { StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { seriesOf } from "../support/prometheus-text.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { hex, newSpanId, newTraceId } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";
import { scrapeMetrics } from "./support/scrape-metrics.js";

let db: TestDatabase;
let server: Traceledger;
let client: TracingClient;

beforeAll(async () => {
  db = await createTestDatabase();
  // No export: an exporter with no collector to take its spans would hold every trace back.
  // No saga: with it, retention must outlast its orphan timeout (minutes), and this runs in seconds
  // (src/retention/trace-retention.int.spec.ts and src/monitoring/saga-retention.int.spec.ts cover it).
  server = await startServer(db.url, { TRACELEDGER_RETENTION: "3s", TRACING_ENABLED: "false", MONITORING_ENABLED: "false" });
  client = connectClient(server.grpcAddress);
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function notFound(traceId: Uint8Array): Promise<boolean> {
  try {
    await client.getTrace({ traceId });
    return false;
  } catch (error) {
    if (ConnectError.from(error).code === Code.NotFound) return true;
    throw error;
  }
}

describe("TRACELEDGER_RETENTION", () => {
  it("deletes a trace once its last event is older than the retention, and keeps one still written to", async () => {
    const done = newTraceId();
    const doneRoot = newSpanId();
    await client.startTrace({ traceId: done, spanId: doneRoot, name: "checkout", serviceName: "retention" });
    await client.endSpan({ traceId: done, spanId: doneRoot, status: { code: StatusCode.OK } });
    const live = newTraceId();
    const liveRoot = newSpanId();
    await client.startTrace({ traceId: live, spanId: liveRoot, name: "batch job", serviceName: "retention" });
    await server.projector.catchUp();
    expect((await client.listTraces({})).traces.map((t) => hex(t.traceId))).toContain(hex(done));

    // The live trace gets an event every 400 ms while the finished one ages.
    let events = 0;
    const deadline = Date.now() + 20_000;
    while (!(await notFound(done))) {
      if (Date.now() > deadline) throw new Error("the finished trace was not deleted within 20 s");
      await client.addSpanEvent({ traceId: live, spanId: liveRoot, name: `tick ${events++}` });
      await sleep(400);
    }

    expect(events).toBeGreaterThanOrEqual(7); // at least the 3 s of retention went by
    const kept = await client.getTrace({ traceId: live });
    expect(kept.trace!.spans).toHaveLength(1);
    expect(kept.trace!.spans[0]!.events).toHaveLength(events);
    const log = await client.getTraceEvents({ traceId: live });
    expect(log.events[0]!.streamVersion).toBe(1n);
    await expect(client.getTraceEvents({ traceId: done })).resolves.toMatchObject({ events: [] });
    await server.projector.catchUp();
    const listed = (await client.listTraces({})).traces.map((t) => hex(t.traceId));
    expect(listed).not.toContain(hex(done));
    expect(listed).toContain(hex(live));
    const { families } = await scrapeMetrics(server.httpAddress);
    expect(seriesOf(families.get("traceledger_retention_traces_deleted_total")!)[0]!.value).toBeGreaterThanOrEqual(1);
    expect(seriesOf(families.get("traceledger_retention_events_deleted_total")!)[0]!.value).toBeGreaterThanOrEqual(3);
  });
});
