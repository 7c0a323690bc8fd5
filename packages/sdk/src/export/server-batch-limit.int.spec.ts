// A server that takes fewer commands per IngestBatch call
// (TRACELEDGER_MAX_BATCH_COMMANDS) than the SDK's batches carry refuses a full
// batch as a whole (INVALID_ARGUMENT, BATCH_TOO_LARGE, its limit in the
// ErrorInfo): the SDK sends the same commands again in batches the server takes,
// and keeps to that size until batchSizeRecheckMs has passed, then tries full
// batches again (the limit may have been raised, or been one replica's).

import { SpanState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { getTrace } from "../../test/support/trace-reader.js";
import { createTestDatabase, portOf, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
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

describe("after batchSizeRecheckMs, full batches are tried again", () => {
  it("keeps to the limit, with no second warning, while the server still has it, and grows back once a server without it answers", async () => {
    const limited = await startServer(database, { maxBatchCommands: 100 });
    const port = portOf(limited.grpcAddress);
    const warnings: string[] = [];
    const tracer = createTracer({
      serviceName: "recheck",
      url: `http://127.0.0.1:${port}`,
      env: {},
      batch: { batchSizeRecheckMs: 200 },
      onWarning: (m) => warnings.push(m),
    });
    const burst = async (count: number) => {
      for (let i = 0; i < count; i++) tracer.withSpan(`span ${i}`, () => {});
      await tracer.forceFlush(10_000);
    };
    let unlimited: Traceledger | undefined;
    try {
      await burst(150); // 300 commands: refused whole, then 3 calls of 100
      expect(tracer.stats()).toMatchObject({ sent: 300, failed: 0, rpcs: 4 });

      await new Promise((resolve) => setTimeout(resolve, 250));
      await burst(150); // the recheck: refused once more, then 3 calls of 100
      expect(tracer.stats()).toMatchObject({ sent: 600, failed: 0, rpcs: 8 });
      expect(warnings.filter((w) => w.includes("at most 100 commands"))).toHaveLength(1);

      await limited.stop();
      unlimited = await startServer(database, { grpcPort: port });
      await new Promise((resolve) => setTimeout(resolve, 250));
      await burst(150); // one call of 300
      expect(tracer.stats()).toMatchObject({ sent: 900, failed: 0, dropped: 0, rpcs: 9 });
    } finally {
      await tracer.shutdown(1_000);
      await unlimited?.stop();
      await limited.stop();
    }
  });
});
