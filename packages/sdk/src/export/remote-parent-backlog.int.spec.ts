// A service with a backlog of spans to ship still gets the span it starts for a
// caller's request stored. The caller ends its root as soon as the service
// answers, which completes the trace on the server, and a completed trace
// accepts no new spans: had the service's start waited behind its backlog, the
// server would refuse it (TRACE_COMPLETED) and the span would be lost.

import { createServer, type Server } from "node:http";
import { SpanState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { eventually } from "../../test/support/eventually.js";
import { close, listen } from "../../test/support/http-servers.js";
import { getTrace } from "../../test/support/trace-reader.js";
import { createTestDatabase, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import { traceHttpHandler } from "../http/node-http.js";
import { injectContext } from "../propagation/w3c-propagator.js";
import { createTracer } from "../trace/create-tracer.js";
import type { Tracer } from "../trace/tracer.js";

let database: TestDatabase;
let server: Traceledger;
let reader: TracingClient;
let caller: Tracer;
let busy: Tracer;
let busyApp: Server;
let busyUrl: string;
const warnings: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer(database);
  reader = createTracingClient({ url: `http://${server.grpcAddress}` });
  const url = `http://${server.grpcAddress}`;
  caller = createTracer({ serviceName: "caller", url, env: {}, onWarning: (m) => warnings.push(m) });
  // Small batches, so that its backlog takes many calls (about a second) to ship.
  busy = createTracer({ serviceName: "busy", url, env: {}, batch: { maxBatchSize: 40 }, onWarning: (m) => warnings.push(m) });
  busyApp = createServer(
    traceHttpHandler(busy, async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 30)); // some work
      res.end("ok");
    }),
  );
  busyUrl = await listen(busyApp);
});

afterAll(async () => {
  await close(busyApp);
  await Promise.all([caller?.shutdown(), busy?.shutdown()]);
  reader?.close();
  await server?.stop();
  await database?.drop();
});

describe("a service with a backlog, called by another", () => {
  it("gets its server span stored before the caller's end completes the trace", async () => {
    // The backlog: 2,500 unrelated one-span traces, shipping in 63 calls.
    for (let i = 0; i < 2_500; i++) busy.startSpan(`background ${i}`, { parent: null }).end();
    const traceId = await caller.withSpan(
      "checkout",
      async (root) => {
        const headers: Record<string, string> = {};
        injectContext(headers);
        const response = await fetch(`${busyUrl}/stock`, { headers });
        expect(await response.text()).toBe("ok");
        return root.spanContext().traceId;
      },
      { kind: "server" },
    );
    // The caller's root is ended: its end ships now, while the busy service's backlog is still shipping.
    await caller.forceFlush();
    expect(busy.stats().queued).toBeGreaterThan(1_000);
    await busy.forceFlush(30_000);

    const trace = await eventually(async () => {
      const t = await getTrace(reader, traceId);
      expect(t?.spans, JSON.stringify({ warnings, stats: busy.stats() })).toHaveLength(2);
      return t!;
    });
    expect(trace.spans.every((s) => s.state === SpanState.ENDED)).toBe(true);
    expect(busy.stats()).toMatchObject({ failed: 0, dropped: 0 });
    expect(warnings.filter((w) => w.includes("TRACE_COMPLETED"))).toEqual([]);
  });
});
