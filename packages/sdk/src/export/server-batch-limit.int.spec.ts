// A server that takes fewer commands per IngestBatch call
// (TRACELEDGER_MAX_BATCH_COMMANDS) than the SDK's batches carry refuses a full
// batch as a whole (INVALID_ARGUMENT, BATCH_TOO_LARGE, its limit in the
// ErrorInfo): the SDK sends the same commands again in batches the server takes,
// and keeps to that size from then on.

import { SpanState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { getTrace } from "../../test/support/trace-reader.js";
import { createTestDatabase, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import { createTracer } from "../trace/create-tracer.js";

let database: TestDatabase;
let server: Traceledger;
let reader: TracingClient;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer(database, { maxBatchCommands: 100 });
  reader = createTracingClient({ url: `http://${server.grpcAddress}` });
});

afterAll(async () => {
  reader?.close();
  await server?.stop();
  await database?.drop();
});

describe("a server taking at most 100 commands per batch, below the SDK's 1,024", () => {
  for (const transport of ["grpc", "connect"] as const) {
    it(`stores every span of a burst, none counted as failed (${transport})`, async () => {
      const warnings: string[] = [];
      const url = `http://${transport === "grpc" ? server.grpcAddress : server.httpAddress}`;
      const tracer = createTracer({ serviceName: `burst-${transport}`, url, transport, env: {}, onWarning: (m) => warnings.push(m) });
      try {
        const traceIds: string[] = [];
        for (let i = 0; i < 300; i++) tracer.withSpan(`span ${i}`, (span) => traceIds.push(span.spanContext().traceId));
        await tracer.forceFlush(10_000);

        expect(tracer.stats()).toMatchObject({ sent: 600, failed: 0, dropped: 0, queued: 0 });
        let stored = 0;
        for (const traceId of traceIds) if ((await getTrace(reader, traceId))?.spans[0]?.state === SpanState.ENDED) stored++;
        expect(stored).toBe(300);
        expect(warnings.filter((w) => w.includes("at most 100 commands"))).toHaveLength(1);

        // Later batches keep to the server's size: no call is refused again.
        const rpcs = tracer.stats().rpcs;
        for (let i = 0; i < 150; i++) tracer.withSpan(`later ${i}`, () => {});
        await tracer.forceFlush(10_000);
        expect(tracer.stats()).toMatchObject({ sent: 900, failed: 0, rpcs: rpcs + 3 });
      } finally {
        await tracer.shutdown(1_000);
      }
    });
  }
});
