// Large commands against the real server and its message limit (4 MiB by
// default). A command that would take a batch past maxBatchBytes waits for the
// next batch, so the commands queued before it still arrive; a command over the
// limit on its own is dropped before it is sent (a start, with the rest of its
// span and its children: the server would reject them). A server with a smaller limit
// than the SDK's batches refuses the request with RESOURCE_EXHAUSTED, which is
// final for that request: the same bytes are not sent again.

import { SpanState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { eventually } from "../../test/support/eventually.js";
import { getTrace, spanNamed } from "../../test/support/trace-reader.js";
import { createTestDatabase, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import type { TracerOptions } from "../config/tracer-config.js";
import { createTracer } from "../trace/create-tracer.js";
import type { Tracer } from "../trace/tracer.js";

const databases: TestDatabase[] = [];
const servers: Traceledger[] = [];
const tracers: Tracer[] = [];
const readers: TracingClient[] = [];

async function serverWith(maxMessageBytes?: number): Promise<{ server: Traceledger; reader: TracingClient }> {
  const database = await createTestDatabase();
  databases.push(database);
  const server = await startServer(database, maxMessageBytes === undefined ? {} : { maxMessageBytes });
  servers.push(server);
  const reader = createTracingClient({ url: `http://${server.grpcAddress}` });
  readers.push(reader);
  return { server, reader };
}

function tracerWith(options: TracerOptions, warnings: string[]): Tracer {
  // Short backoff: a batch that is retried until maxAttempts fails within the test.
  const tracer = createTracer({ env: {}, onWarning: (m) => warnings.push(m), ...options, batch: { initialBackoffMs: 1, maxBackoffMs: 10, ...options.batch } });
  tracers.push(tracer);
  return tracer;
}

function endedSpans(reader: TracingClient, traceId: string, count: number) {
  return eventually(async () => {
    const trace = await getTrace(reader, traceId);
    expect(trace?.spans.filter((s) => s.state === SpanState.ENDED)).toHaveLength(count);
    return trace!;
  });
}

afterAll(async () => {
  await Promise.all(tracers.map((t) => t.shutdown(1_000)));
  for (const reader of readers) reader.close();
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(databases.map((d) => d.drop()));
});

describe("a command too large for a batch", () => {
  let server: Traceledger;
  let reader: TracingClient;
  beforeAll(async () => ({ server, reader } = await serverWith()));

  it("is dropped alone, and the commands around it arrive", async () => {
    const warnings: string[] = [];
    const tracer = tracerWith({ serviceName: "bulky", url: `http://${server.grpcAddress}` }, warnings);
    // ~800 KiB of ordinary spans, then a 3.5 MiB error: together over the server's 4 MiB.
    const before: string[] = [];
    for (let i = 0; i < 40; i++) {
      const span = tracer.startSpan(`before ${i}`, { attributes: { payload: "p".repeat(20 * 1024) } });
      span.end();
      before.push(span.spanContext().traceId);
    }
    const bulky = tracer.startSpan("bulky");
    bulky.recordError(new Error("e".repeat(3.5 * 1024 * 1024)));
    bulky.end();
    const after = tracer.startSpan("after");
    after.end();
    await tracer.forceFlush(10_000);

    expect(tracer.stats()).toMatchObject({ dropped: 1, failed: 0, queued: 0 });
    for (const traceId of before) await endedSpans(reader, traceId, 1);
    const bulkySpan = spanNamed(await endedSpans(reader, bulky.spanContext().traceId, 1), "bulky");
    expect(bulkySpan.errors).toEqual([]);
    await endedSpans(reader, after.spanContext().traceId, 1);
    expect(warnings.filter((w) => w.includes("a recordError command") && w.includes("batch.maxBatchBytes"))).toHaveLength(1);
  });
});

describe("a start too large for a batch", () => {
  let server: Traceledger;
  let reader: TracingClient;
  beforeAll(async () => ({ server, reader } = await serverWith()));

  it("is dropped with its span's later commands and its children, none sent to be rejected", async () => {
    const warnings: string[] = [];
    const tracer = tracerWith({ serviceName: "big-start", url: `http://${server.grpcAddress}`, batch: { maxBatchBytes: 1024 } }, warnings);
    // Its children queued behind it...
    const queuedWith = tracer.startSpan("upload", { parent: null, attributes: { blob: "x".repeat(4000) } });
    tracer.withSpan("child", (child) => child.addEvent("tick"), { parent: queuedWith });
    queuedWith.end();
    // ...or started once it was dropped.
    const droppedFirst = tracer.startSpan("upload", { parent: null, attributes: { blob: "x".repeat(4000) } });
    await tracer.forceFlush(10_000);
    await tracer.withSpan("child", async () => tracer.withSpan("grandchild", () => 1), { parent: droppedFirst });
    droppedFirst.addEvent("done");
    droppedFirst.end();
    const fine = tracer.startSpan("fine", { parent: null });
    fine.end();
    await tracer.forceFlush(10_000);

    // upload, child (start, event, end), upload end; upload, child and grandchild (start and end each), upload event and end.
    expect(tracer.stats()).toMatchObject({ sent: 2, dropped: 5 + 7, failed: 0, queued: 0 });
    expect(warnings.some((w) => w.includes("PARENT_SPAN_NOT_FOUND") || w.includes("SPAN_NOT_FOUND"))).toBe(false);
    expect(warnings.filter((w) => w.includes("batch.maxBatchBytes"))).toHaveLength(1);
    expect(await getTrace(reader, queuedWith.spanContext().traceId)).toBeUndefined();
    expect(await getTrace(reader, droppedFirst.spanContext().traceId)).toBeUndefined();
    await endedSpans(reader, fine.spanContext().traceId, 1);
  });
});

describe("a server whose message limit is below the SDK's batches", () => {
  let server: Traceledger;
  beforeAll(async () => ({ server } = await serverWith(64 * 1024)));

  for (const transport of ["grpc", "connect"] as const) {
    it(`refuses the request once, and it is not sent again (${transport})`, async () => {
      const warnings: string[] = [];
      const url = `http://${transport === "grpc" ? server.grpcAddress : server.httpAddress}`;
      const tracer = tracerWith({ serviceName: `limited-${transport}`, url, transport }, warnings);
      tracer.startSpan("large", { attributes: { payload: "p".repeat(200 * 1024) } }).end();
      await tracer.forceFlush(10_000);
      expect(tracer.stats()).toMatchObject({ rpcs: 1, failed: 2, retried: 0, sent: 0 });
      expect(warnings.some((w) => w.includes("larger than it accepts"))).toBe(true);
    });
  }
});
