// Reads while the database cannot be reached: UNAVAILABLE STORE_UNAVAILABLE, as
// a write gets, so a client knows the call may succeed if retried. Before, a read
// answered a bare INTERNAL ("internal error", no ErrorInfo), which says a defect
// in traceledger and that a retry would fail the same way.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { startSilentRelay, type SilentRelay } from "../support/silent-relay.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { connectError } from "./support/error-details.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";

let db: TestDatabase;
let relay: SilentRelay;
let server: Traceledger;
let client: TracingClient;
beforeAll(async () => {
  db = await createTestDatabase();
  relay = await startSilentRelay(db.url);
  server = await startServer(relay.url);
  client = connectClient(server.grpcAddress);
});
afterAll(async () => {
  await server?.stop();
  relay?.close();
  await db?.drop();
});

describe("reads while the database is unreachable", () => {
  it("answer UNAVAILABLE STORE_UNAVAILABLE, not INTERNAL", async () => {
    const traceId = newTraceId();
    await client.startTrace({ traceId, spanId: newSpanId(), name: "before the outage", serviceName: "outage" });
    // Every connection reset, and no new one accepted.
    relay.close();

    const unknown = await client.getTrace({ traceId: newTraceId() }, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(connectError(unknown)).toMatchObject({ code: "unavailable", reason: "STORE_UNAVAILABLE", domain: "traceledger.dev" });
    const listed = await client.listTraces({ serviceName: "outage" }, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(connectError(listed)).toMatchObject({ code: "unavailable", reason: "STORE_UNAVAILABLE" });
    const events = await client.getTraceEvents({ traceId: newTraceId() }, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(connectError(events)).toMatchObject({ code: "unavailable", reason: "STORE_UNAVAILABLE" });
  }, 60_000);
});
