// Writes over database connections the network lost without a reset (a failover,
// a NAT or firewall forgetting them), while new connections reach a database that
// answers. Such a connection looks open: before, a group commit whose statement
// went to one waited until TCP gave up (about 15 minutes on Linux), and so did
// its callers and every later command for its traces; with both commit slots
// caught, every write of the replica waited. Here the relay keeps the lost
// connections open for good, and the server's append deadline is 1 s.
//
// PostgreSQL still receives what is sent (only its answers are lost): an append
// commits and its caller never learns it. The caller is told to retry, and the
// retry is stored once.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { startSilentRelay, type SilentRelay } from "../support/silent-relay.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { connectError, type SeenError } from "./support/error-details.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";
import { until } from "./support/wait.js";

const DEADLINE_MS = 1000;
/** What the client waits at most: without the deadline, a call waited this long and failed DEADLINE_EXCEEDED. */
const CALL_TIMEOUT_MS = 8000;

let db: TestDatabase;
let relay: SilentRelay;
let server: Traceledger;
let client: TracingClient;
/** A trace written before `server` started: its first command there must read it first. */
const cold = { traceId: newTraceId(), root: newSpanId() };
beforeAll(async () => {
  db = await createTestDatabase();
  const earlier = await startServer(db.url);
  try {
    await connectClient(earlier.grpcAddress).startTrace({ traceId: cold.traceId, spanId: cold.root, name: "cold", serviceName: "lost" });
  } finally {
    await earlier.stop();
  }
  relay = await startSilentRelay(db.url);
  server = await startServer(relay.url, { TRACELEDGER_APPEND_DEADLINE_MS: String(DEADLINE_MS) });
  client = connectClient(server.grpcAddress);
});
afterAll(async () => {
  // First: the server's stop waits for its group commits, which wait on the relay's connections.
  relay?.close();
  await server?.stop();
  await db?.drop();
});

/** The event types of a trace, as stored. */
async function storedTypes(traceId: Uint8Array): Promise<string[]> {
  const rows = await db.sql<{ type: string }[]>`select type from events where trace_id = ${Buffer.from(traceId)} order by version`;
  return rows.map((r) => r.type);
}

/** Runs the call; its error as seen by the client (undefined on success) and how long it took. */
async function timed(call: () => Promise<unknown>): Promise<{ error: SeenError | undefined; ms: number }> {
  const started = Date.now();
  try {
    await call();
    return { error: undefined, ms: Date.now() - started };
  } catch (thrown) {
    return { error: connectError(thrown), ms: Date.now() - started };
  }
}

describe("writes when the server's database connections are lost", () => {
  it("answer UNAVAILABLE within the deadline, the replica writes again at once, and retries are stored once", async () => {
    const warm = { traceId: newTraceId(), root: newSpanId(), child: newSpanId() };
    await client.startTrace({ traceId: warm.traceId, spanId: warm.root, name: "warm", serviceName: "lost" });
    // Every connection of the pool open, so that no statement can go to a new one.
    await until(15_000, "the server's pool to open all 10 connections", async () => {
      await Promise.all(Array.from({ length: 30 }, () => client.listTraces({ pageSize: 1 })));
      return relay.connections("traceledger") >= 10 ? true : undefined;
    });
    expect(relay.silence("traceledger", { answersOnly: true })).toBe(10);

    const fresh = { traceId: newTraceId(), root: newSpanId() };
    const writes = [
      // A trace the server holds: straight to the group commit.
      () => client.startSpan({ traceId: warm.traceId, parentSpanId: warm.root, spanId: warm.child, name: "child", serviceName: "lost" }, { timeoutMs: CALL_TIMEOUT_MS }),
      // A trace it must read first.
      () => client.endSpan({ traceId: cold.traceId, spanId: cold.root }, { timeoutMs: CALL_TIMEOUT_MS }),
      // A new trace.
      () => client.startTrace({ traceId: fresh.traceId, spanId: fresh.root, name: "fresh", serviceName: "lost" }, { timeoutMs: CALL_TIMEOUT_MS }),
    ];
    const lost = await Promise.all(writes.map(timed));
    for (const { error, ms } of lost) {
      expect(error).toMatchObject({ code: "unavailable", reason: "STORE_UNAVAILABLE", metadata: { deadline_ms: String(DEADLINE_MS) } });
      // The deadline, and room for a slow machine; nowhere near the client's own timeout.
      expect(ms).toBeLessThan(DEADLINE_MS + 4000);
    }

    // The connections were dropped and new ones reach the database: the same calls go through.
    const retried = await Promise.all(writes.map(timed));
    expect(retried.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    // Whether or not the first attempt was stored (here PostgreSQL got it), each is stored once.
    expect(await storedTypes(warm.traceId)).toEqual(["TraceStarted", "SpanStarted", "SpanStarted"]);
    expect(await storedTypes(cold.traceId)).toEqual(["TraceStarted", "SpanStarted", "SpanEnded", "TraceCompleted"]);
    expect(await storedTypes(fresh.traceId)).toEqual(["TraceStarted", "SpanStarted"]);
  }, 40_000);
});
