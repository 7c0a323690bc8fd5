// The server goes away and comes back. The application keeps serving its
// requests throughout; spans queue up to the bound and the rest are dropped
// whole (a span whose start was queued keeps its end) and counted, with one
// warning; nothing throws and no promise is left unhandled.
// When the server restarts on the same database and port, the queued spans
// arrive, however many tries the outage took: the default maxAttempts does not
// apply to a server that is down.

import { createServer, type Server } from "node:http";
import { SpanState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { eventually } from "../../test/support/eventually.js";
import { close, listen } from "../../test/support/http-servers.js";
import { getTrace } from "../../test/support/trace-reader.js";
import { createTestDatabase, portOf, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { createTracingClient } from "../client/tracing-client.js";
import { traceHttpHandler } from "../http/node-http.js";
import { createTracer } from "../trace/create-tracer.js";
import type { Tracer } from "../trace/tracer.js";
import { parseTraceparent } from "../w3c/traceparent.js";

let database: TestDatabase;
let server: Traceledger | undefined;
let tracer: Tracer;
let app: Server;
let appUrl: string;
const warnings: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  database = await createTestDatabase();
  server = await startServer(database);
  tracer = createTracer({
    serviceName: "resilient-app",
    url: `http://${server.grpcAddress}`,
    env: {},
    timeoutMs: 2_000,
    // A small queue, so the outage overflows it, in the middle of a request's four
    // commands; short backoff, so the outage outlasts the default maxAttempts (10)
    // quickly. maxAttempts is left alone.
    batch: { maxQueueSize: 121, maxBatchSize: 40, flushIntervalMs: 20, initialBackoffMs: 20, maxBackoffMs: 200 },
    onWarning: (message) => warnings.push(message),
  });
  app = createServer(
    traceHttpHandler(tracer, (_req, res) => {
      tracer.withSpan("work", (span) => span.setAttribute("step", 1));
      res.end("ok");
    }),
  );
  appUrl = await listen(app);
});

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await close(app);
  await tracer?.shutdown(1_000);
  await server?.stop();
  await database?.drop();
});

async function request(): Promise<string> {
  const response = await fetch(`${appUrl}/orders`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("ok");
  const header = parseTraceparent(response.headers.get("traceparent") ?? "");
  if (!header.ok) throw new Error(header.reason);
  return header.value.traceId;
}

describe("a server outage", () => {
  it("costs the application nothing, and the queued spans arrive after the restart", async () => {
    const grpcPort = portOf(server!.grpcAddress);
    const reader = createTracingClient({ url: `http://${server!.grpcAddress}` });
    try {
      // Up: spans arrive.
      const before = await request();
      await tracer.forceFlush();
      await eventually(async () => expect((await getTrace(reader, before))?.spans).toHaveLength(2));

      // Down: the application still answers every request.
      await server!.stop();
      server = undefined;
      const during: string[] = [];
      for (let i = 0; i < 100; i++) during.push(await request()); // 400 commands for a queue of 121
      await eventually(() => expect(tracer.stats().retried).toBeGreaterThan(0));
      // The first batch alone has now been tried more often than maxAttempts allows (one batch is in flight at a time).
      const failing = tracer.stats().rpcs;
      await eventually(() => expect(tracer.stats().rpcs).toBeGreaterThan(failing + 15));
      const down = tracer.stats();
      expect(down.failed).toBe(0);
      expect(down.dropped).toBeGreaterThan(0);
      // Full, plus the ends of the spans it held when it filled (at most one request's two).
      expect(down.queued).toBeLessThanOrEqual(123);
      // One warning about the drops, not one per dropped command.
      expect(warnings.filter((w) => w.includes("dropped"))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes("retrying until it is back"))).toHaveLength(1);

      // Back, on the same database and port: what was queued arrives.
      server = await startServer(database, { grpcPort });
      await tracer.forceFlush(10_000);
      const first = await eventually(async () => {
        const trace = await getTrace(reader, during[0]!);
        expect(trace?.spans.filter((s) => s.state === SpanState.ENDED)).toHaveLength(2);
        return trace!;
      });
      expect(first.spans.map((s) => s.name).sort()).toEqual(["GET", "work"]);
      const after = tracer.stats();
      expect(after.sent).toBeGreaterThan(down.sent);
      expect(after.queued).toBe(0);
      expect(after.failed).toBe(0);
      // The newest requests were the ones dropped, whole: no span whose start arrived lacks its end.
      expect(await getTrace(reader, during[during.length - 1]!)).toBeUndefined();
      // (The request during which the queue filled may have its GET span without its work span.)
      const stored: string[] = [];
      for (const traceId of during) {
        const trace = await getTrace(reader, traceId);
        if (trace === undefined) continue;
        stored.push(trace.spans.map((s) => `${s.name} ${SpanState[s.state]}`).sort().join(", "));
      }
      expect(stored.length).toBeGreaterThanOrEqual(30);
      expect(stored.filter((spans) => spans !== "GET ENDED, work ENDED")).toEqual(stored.at(-1) === "GET ENDED" ? ["GET ENDED"] : []);
      expect(unhandled).toEqual([]);
    } finally {
      reader.close();
    }
  });
});
