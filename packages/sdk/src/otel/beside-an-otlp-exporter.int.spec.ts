// The OpenTelemetry bridge beside a stock OTLP exporter reporting the same spans to
// the same server (an app that keeps its OTLP pipeline while it adopts traceledger):
// both paths name a span's events alike, so the server keeps each event once,
// whichever path brings it first, and neither path's report is refused.

import type { Interceptor } from "@connectrpc/connect";
import { context } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { SpanState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { eventually } from "../../test/support/eventually.js";
import { TestContextManager } from "../../test/support/otel-context-manager.js";
import { getTrace, spanNamed } from "../../test/support/trace-reader.js";
import { createTestDatabase, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import { TraceledgerSpanProcessor } from "./traceledger-span-processor.js";

let database: TestDatabase;
let server: Traceledger;
let reader: TracingClient;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer(database);
  reader = createTracingClient({ url: `http://${server.grpcAddress}` });
  context.setGlobalContextManager(new TestContextManager());
});

afterAll(async () => {
  context.disable();
  reader?.close();
  await server?.stop();
  await database?.drop();
});

function later(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The bridge and a stock OTLP exporter (SimpleSpanProcessor) on one provider. `gateBridge(n)` is
 * awaited before the bridge's n-th IngestBatch call once armed, `gateOtlp` before each OTLP export;
 * `bridgeCallAnswered(n)` and `otlpReported` say when each has landed, so a test orders the two paths.
 */
function pipeline(options: { maxBatchSize?: number; gateBridge: (call: number) => Promise<void> | undefined; gateOtlp?: () => Promise<void> }) {
  const bridgeCalls: Array<ReturnType<typeof later>> = [later(), later(), later()];
  const otlpReported = later();
  let armed = false;
  let calls = 0;
  const gate: Interceptor = (next) => async (request) => {
    if (!armed) return next(request);
    const call = ++calls;
    await options.gateBridge(call);
    const response = await next(request);
    bridgeCalls[call - 1]?.resolve();
    return response;
  };
  const processor = new TraceledgerSpanProcessor({
    url: `http://${server.grpcAddress}`,
    batch: { flushIntervalMs: 20, ...(options.maxBatchSize ? { maxBatchSize: options.maxBatchSize } : {}) },
    interceptors: [gate],
    env: {},
  });
  const exporter = new OTLPTraceExporter({ url: `http://${server.httpAddress}/v1/traces` });
  const exportNow = exporter.export.bind(exporter);
  exporter.export = (spans, done) => {
    void (options.gateOtlp?.() ?? Promise.resolve()).then(() =>
      exportNow(spans, (result) => {
        otlpReported.resolve();
        done(result);
      }),
    );
  };
  const otlp = new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": "beside-otlp" }), spanProcessors: [processor, otlp] });
  return {
    processor,
    otlp,
    provider,
    otlpReported: otlpReported.promise,
    bridgeCallAnswered: (call: number) => bridgeCalls[call - 1]!.promise,
    arm: () => (armed = true),
  };
}

type Pipeline = ReturnType<typeof pipeline>;

describe("TraceledgerSpanProcessor beside a stock OTLP exporter", () => {
  it("stores a span's events and errors once when the OTLP report lands between the processor's batches", async () => {
    // The bridge's events go in one call, its end in the next (a batch boundary); the OTLP
    // report of the ended span lands between the two, while the span still runs on the server.
    const p: Pipeline = pipeline({
      maxBatchSize: 2,
      gateBridge: (call) => (call > 1 ? p.otlpReported : undefined),
      gateOtlp: () => p.bridgeCallAnswered(1),
    });
    try {
      const span = p.provider.getTracer("split").startSpan("split span");
      await p.processor.forceFlush(); // its start is on the server
      p.arm();
      span.addEvent("cache.miss", { key: "k-1" });
      span.recordException(new RangeError("boom"));
      span.end();
      await p.processor.forceFlush();
      await p.otlp.forceFlush();
      const s = await eventually(async () => {
        const found = spanNamed(await getTrace(reader, span.spanContext().traceId), "split span");
        expect(found.state).toBe(SpanState.ENDED);
        return found;
      });
      expect(s.events.map((e) => [e.name, e.eventId])).toEqual([["cache.miss", "otlp-0"]]);
      expect(s.errors.map((e) => [e.errorType, e.errorId])).toEqual([["RangeError", "otlp-1"]]);
      expect(p.processor.stats()).toMatchObject({ dropped: 0, failed: 0 });
    } finally {
      await p.provider.shutdown();
    }
  });

  it("takes the processor's events and errors of a span the OTLP report brought first as the same ones, refusing none", async () => {
    // The OTLP report lands first; the bridge's events, errors and end then repeat what the server
    // holds, under the same ids and with the same content (an exception event's escaped: false
    // stays among its attributes on both paths), so each is taken as a retry.
    const p: Pipeline = pipeline({ gateBridge: () => p.otlpReported });
    try {
      const span = p.provider.getTracer("otlp-first").startSpan("reported twice");
      await p.processor.forceFlush();
      p.arm();
      span.addEvent("cache.miss", { key: "k-1" });
      span.addEvent("exception", { "exception.type": "Timeout", "exception.message": "slow", "exception.escaped": false });
      span.recordException(new RangeError("boom"));
      span.end();
      await p.processor.forceFlush();
      await p.otlp.forceFlush();
      const s = await eventually(async () => {
        const found = spanNamed(await getTrace(reader, span.spanContext().traceId), "reported twice");
        expect(found.state).toBe(SpanState.ENDED);
        return found;
      });
      expect(s.events.map((e) => e.eventId)).toEqual(["otlp-0"]);
      expect(s.errors.map((e) => [e.errorType, e.errorId])).toEqual([
        ["Timeout", "otlp-1"],
        ["RangeError", "otlp-2"],
      ]);
      expect(p.processor.stats()).toMatchObject({ dropped: 0, failed: 0 });
    } finally {
      await p.provider.shutdown();
    }
  });
});
