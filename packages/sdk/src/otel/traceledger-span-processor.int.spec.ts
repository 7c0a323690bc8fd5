// The OpenTelemetry bridge with a stock BasicTracerProvider against the real
// server: an OTel span shows as RUNNING while it runs, and its end, events,
// exceptions, status and final attributes arrive when it ends.

import { context, SpanKind as OtelSpanKind, SpanStatusCode, trace, type Span as OtelApiSpan } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, ParentBasedSampler, type Sampler } from "@opentelemetry/sdk-trace-base";
import { SpanKind, SpanState, StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { eventually } from "../../test/support/eventually.js";
import { attributesOf, getTrace, hex, spanNamed } from "../../test/support/trace-reader.js";
import { createTestDatabase, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { TestContextManager } from "../../test/support/otel-context-manager.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import { TraceledgerSpanProcessor } from "./traceledger-span-processor.js";

let database: TestDatabase;
let server: Traceledger;
let reader: TracingClient;
let processor: TraceledgerSpanProcessor;
let provider: BasicTracerProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer(database);
  reader = createTracingClient({ url: `http://${server.grpcAddress}` });
  context.setGlobalContextManager(new TestContextManager());
  processor = new TraceledgerSpanProcessor({ url: `http://${server.grpcAddress}`, batch: { flushIntervalMs: 20 }, env: {} });
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "otel-app", "deployment.environment.name": "test" }),
    spanProcessors: [processor],
  });
});

/** A provider with a processor of its own, whose stats count only the test's spans. */
function ownProvider(sampler?: Sampler): { provider: BasicTracerProvider; processor: TraceledgerSpanProcessor } {
  const own = new TraceledgerSpanProcessor({ url: `http://${server.grpcAddress}`, batch: { flushIntervalMs: 20 }, env: {} });
  const resource = resourceFromAttributes({ "service.name": "otel-own" });
  return { provider: new BasicTracerProvider({ resource, spanProcessors: [own], ...(sampler ? { sampler } : {}) }), processor: own };
}

afterAll(async () => {
  await provider?.shutdown();
  context.disable();
  reader?.close();
  await server?.stop();
  await database?.drop();
});

describe("TraceledgerSpanProcessor", () => {
  it("makes an OTel span visible while it runs, then sends its end", async () => {
    const tracer = provider.getTracer("checkout-lib", "1.2.3");
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    let traceId = "";
    let rootSpanId = "";
    const finished = tracer.startActiveSpan("checkout", { kind: OtelSpanKind.SERVER, attributes: { "order.id": "o-9" } }, async (root) => {
      traceId = root.spanContext().traceId;
      rootSpanId = root.spanContext().spanId;
      await tracer.startActiveSpan("charge card", async (child) => {
        child.addEvent("card.authorized", { "card.brand": "visa" });
        child.recordException(new TypeError("card declined"));
        child.setStatus({ code: SpanStatusCode.ERROR, message: "declined" });
        child.end();
      });
      await running;
      root.setAttribute("order.total", 12.5);
      root.end();
    });

    // The root is still running: the server already shows it, RUNNING.
    const live = await eventually(async () => {
      const t = await getTrace(reader, traceId);
      expect(spanNamed(t, "checkout").state).toBe(SpanState.RUNNING);
      expect(spanNamed(t, "charge card").state).toBe(SpanState.ENDED);
      return t!;
    });
    const rootLive = spanNamed(live, "checkout");
    expect(hex(rootLive.spanId)).toBe(rootSpanId);
    expect(rootLive.kind).toBe(SpanKind.SERVER);
    expect(rootLive.serviceName).toBe("otel-app");
    expect(rootLive.scopeName).toBe("checkout-lib");
    expect(rootLive.scopeVersion).toBe("1.2.3");
    expect(attributesOf(rootLive)).toMatchObject({ "order.id": "o-9" });
    expect(attributesOf({ ...rootLive, attributes: rootLive.resourceAttributes })).toMatchObject({ "deployment.environment.name": "test" });

    const child = spanNamed(live, "charge card");
    expect(hex(child.parentSpanId)).toBe(rootSpanId);
    expect(child.parentIsRemote).toBe(false);
    expect(child.status?.code).toBe(StatusCode.ERROR);
    expect(child.status?.message).toBe("declined");
    expect(child.events.map((e) => e.name)).toEqual(["card.authorized"]);
    expect(child.errors[0]).toMatchObject({ errorType: "TypeError", message: "card declined" });
    expect(child.errors[0]!.stacktrace).toContain("card declined");

    release();
    await finished;
    await processor.forceFlush();
    const done = await eventually(async () => {
      const t = await getTrace(reader, traceId);
      expect(spanNamed(t, "checkout").state).toBe(SpanState.ENDED);
      return t!;
    });
    expect(attributesOf(spanNamed(done, "checkout"))).toMatchObject({ "order.id": "o-9", "order.total": 12.5 });
    expect(processor.stats()).toMatchObject({ dropped: 0, failed: 0 });
  });

  it("renames a span whose start has shipped as it ends, as HTTP instrumentations name a server span by its route", async () => {
    const tracer = provider.getTracer("http");
    const span = tracer.startSpan("GET", { kind: OtelSpanKind.SERVER });
    const traceId = span.spanContext().traceId;
    // Visible, and so shipped, under the name it started with.
    await eventually(async () => expect(spanNamed(await getTrace(reader, traceId), "GET").state).toBe(SpanState.RUNNING));
    span.updateName("GET /users/:id");
    span.end();
    await processor.forceFlush();
    const ended = await eventually(async () => {
      const t = await getTrace(reader, traceId);
      expect(t?.spans.map((s) => [s.name, s.state])).toEqual([["GET /users/:id", SpanState.ENDED]]);
      return t!;
    });
    expect(ended.rootName).toBe("GET /users/:id");
    expect(processor.stats()).toMatchObject({ dropped: 0, failed: 0 });
  });

  it("keeps spans OTel lets be named blank, as (unnamed), instead of losing them to INVALID_SPAN_NAME", async () => {
    const tracer = provider.getTracer("blank");
    const before = processor.stats();
    const blank = tracer.startSpan("  ");
    blank.end();
    const renamed = tracer.startSpan("named");
    renamed.updateName("");
    renamed.end();
    await processor.forceFlush();
    for (const span of [blank, renamed]) {
      const t = await eventually(async () => {
        const found = await getTrace(reader, span.spanContext().traceId);
        expect(found?.spans.map((s) => [s.name, s.state])).toEqual([["(unnamed)", SpanState.ENDED]]);
        return found!;
      });
      expect(t.spans).toHaveLength(1);
    }
    expect(processor.stats().failed).toBe(before.failed);
  });

  it("sends a resource's attributes that detectors give later, once they have settled", async () => {
    let settle!: (id: string) => void;
    const hostId = new Promise<string>((resolve) => (settle = resolve));
    const slowResource = resourceFromAttributes({ "service.name": "otel-async", "host.id": hostId });
    const own = new BasicTracerProvider({ resource: slowResource, spanProcessors: [processor] });
    const tracer = own.getTracer("async-resource");
    const early = tracer.startSpan("before the detector");
    early.end();
    settle("host-42");
    await slowResource.waitForAsyncAttributes?.();
    const late = tracer.startSpan("after the detector");
    late.end();
    await processor.forceFlush();
    const t = await eventually(async () => {
      const found = await getTrace(reader, late.spanContext().traceId);
      expect(spanNamed(found, "after the detector").state).toBe(SpanState.ENDED);
      return found!;
    });
    expect(attributesOf({ ...spanNamed(t, "after the detector"), attributes: spanNamed(t, "after the detector").resourceAttributes })).toMatchObject({ "host.id": "host-42" });
  });

  it("names the service after the serviceName option when OTel's default resource has only its unknown_service placeholder", async () => {
    const own = new TraceledgerSpanProcessor({ url: `http://${server.grpcAddress}`, batch: { flushIntervalMs: 20 }, env: {}, serviceName: "checkout" });
    const defaults = new BasicTracerProvider({ spanProcessors: [own] }); // no resource: OTel's default one
    // A resource named in the code still names the service: the option only fills in.
    const named = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": "billing" }), spanProcessors: [own] });
    try {
      const unnamed = defaults.getTracer("defaults").startSpan("op");
      unnamed.end();
      const billed = named.getTracer("named").startSpan("charge");
      billed.end();
      await own.forceFlush();
      const span = spanNamed(await eventually(async () => (await getTrace(reader, unnamed.spanContext().traceId))!), "op");
      expect(span.serviceName).toBe("checkout");
      expect(attributesOf({ ...span, attributes: span.resourceAttributes })).toMatchObject({ "service.name": "checkout", "telemetry.sdk.language": "nodejs" });
      const other = spanNamed(await eventually(async () => (await getTrace(reader, billed.spanContext().traceId))!), "charge");
      expect(other.serviceName).toBe("billing");
      expect(own.stats()).toMatchObject({ dropped: 0, failed: 0 });
    } finally {
      await defaults.shutdown();
      await named.shutdown();
    }
  });

  it("keeps a remote parent from an extracted traceparent", async () => {
    const tracer = provider.getTracer("worker");
    // What a W3C propagator extracts from `traceparent: 00-1111...-2222...-01`.
    const parent = trace.setSpanContext(context.active(), { traceId: "11111111111111111111111111111111", spanId: "2222222222222222", traceFlags: 1, isRemote: true });
    tracer.startSpan("remote child", {}, parent).end();
    await processor.forceFlush();
    const span = spanNamed(await eventually(async () => (await getTrace(reader, "11111111111111111111111111111111"))!), "remote child");
    expect(hex(span.parentSpanId)).toBe("2222222222222222");
    expect(span.parentIsRemote).toBe(true);
  });

  describe("a parent whose start this processor never sent", () => {
    // The server refuses a span whose local parent it does not know (PARENT_SPAN_NOT_FOUND),
    // and with it the whole subtree: such a parent must go as remote, whatever OTel says.

    it("keeps a sampled child of a parent the sampler left out (ParentBasedSampler, localParentNotSampled: AlwaysOn), and its own child", async () => {
      const { provider: own, processor: ownProcessor } = ownProvider(new ParentBasedSampler({ root: new AlwaysOffSampler(), localParentNotSampled: new AlwaysOnSampler() }));
      try {
        const tracer = own.getTracer("sampling");
        let child!: OtelApiSpan;
        tracer.startActiveSpan("unsampled root", (root) => {
          expect(root.spanContext().traceFlags & 1).toBe(0);
          tracer.startActiveSpan("sampled child", (span) => {
            child = span;
            tracer.startSpan("grandchild").end();
            span.end();
          });
          root.end();
        });
        await ownProcessor.forceFlush();
        const t = await eventually(async () => {
          const found = await getTrace(reader, child.spanContext().traceId);
          expect(found?.spans.map((s) => [s.name, s.state]).sort()).toEqual([["grandchild", SpanState.ENDED], ["sampled child", SpanState.ENDED]]);
          return found!;
        }, 3000);
        expect(spanNamed(t, "sampled child").parentIsRemote).toBe(true);
        // A parent this processor did send stays local.
        expect(hex(spanNamed(t, "grandchild").parentSpanId)).toBe(child.spanContext().spanId);
        expect(spanNamed(t, "grandchild").parentIsRemote).toBe(false);
        expect(ownProcessor.stats()).toMatchObject({ dropped: 0, failed: 0 });
      } finally {
        await own.shutdown();
      }
    });

    it("keeps a child of a parent set by hand with trace.setSpanContext() and no isRemote (ids read from a message)", async () => {
      const { provider: own, processor: ownProcessor } = ownProvider();
      try {
        const parent = trace.setSpanContext(context.active(), { traceId: "c".repeat(32), spanId: "d".repeat(16), traceFlags: 1 });
        own.getTracer("manual").startSpan("manual child", {}, parent).end();
        await ownProcessor.forceFlush();
        const span = await eventually(async () => {
          const found = spanNamed(await getTrace(reader, "c".repeat(32)), "manual child");
          expect(found.state).toBe(SpanState.ENDED);
          return found;
        }, 3000);
        expect(hex(span.parentSpanId)).toBe("d".repeat(16));
        expect(span.parentIsRemote).toBe(true);
        expect(ownProcessor.stats()).toMatchObject({ dropped: 0, failed: 0 });
      } finally {
        await own.shutdown();
      }
    });

    it("keeps a child of a span from a provider without this processor", async () => {
      const { provider: own, processor: ownProcessor } = ownProvider();
      const other = new BasicTracerProvider(); // records, but not through this processor
      try {
        const foreign = other.getTracer("other").startSpan("foreign parent");
        own.getTracer("mine").startSpan("child of a foreign span", {}, trace.setSpan(context.active(), foreign)).end();
        foreign.end();
        await ownProcessor.forceFlush();
        const span = await eventually(async () => {
          const found = spanNamed(await getTrace(reader, foreign.spanContext().traceId), "child of a foreign span");
          expect(found.state).toBe(SpanState.ENDED);
          return found;
        }, 3000);
        expect(hex(span.parentSpanId)).toBe(foreign.spanContext().spanId);
        expect(span.parentIsRemote).toBe(true);
        expect(ownProcessor.stats()).toMatchObject({ dropped: 0, failed: 0 });
      } finally {
        await own.shutdown();
        await other.shutdown();
      }
    });
  });

  it("drops a link to an invalid span context that says nothing else, instead of losing the span and its children to INVALID_SPAN_ID", async () => {
    const { provider: own, processor: ownProcessor } = ownProvider();
    try {
      const tracer = own.getTracer("links");
      const invalid = { traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 };
      const valid = { traceId: "a".repeat(32), spanId: "b".repeat(16), traceFlags: 1 };
      // What a consumer links to when nothing was extracted: trace.getSpanContext(extracted) ?? INVALID_SPAN_CONTEXT.
      const span = tracer.startSpan("with an invalid link", {
        links: [{ context: invalid }, { context: invalid, attributes: { "messaging.message.id": "m-1" } }, { context: valid }],
      });
      tracer.startSpan("its child", {}, trace.setSpan(context.active(), span)).end();
      span.end();
      await ownProcessor.forceFlush();
      const t = await eventually(async () => {
        const found = await getTrace(reader, span.spanContext().traceId);
        expect(found?.spans.map((s) => [s.name, s.state]).sort()).toEqual([["its child", SpanState.ENDED], ["with an invalid link", SpanState.ENDED]]);
        return found!;
      }, 3000);
      // The invalid context with an attribute is a link OTel's API says to record; the server stores it.
      const links = spanNamed(t, "with an invalid link").links.map((l) => [hex(l.spanId), attributesOf({ ...spanNamed(t, "with an invalid link"), attributes: l.attributes })]);
      expect(links).toEqual([
        ["0".repeat(16), { "messaging.message.id": "m-1" }],
        ["b".repeat(16), {}],
      ]);
      expect(ownProcessor.stats()).toMatchObject({ dropped: 0, failed: 0 });
    } finally {
      await own.shutdown();
    }
  });

  it("sends the links added with addLink() and addLinks() while the span's start has not shipped", async () => {
    const { provider: own, processor: ownProcessor } = ownProvider();
    try {
      const tracer = own.getTracer("links");
      const span = tracer.startSpan("linked later", { links: [{ context: { traceId: "a".repeat(32), spanId: "1".repeat(16), traceFlags: 1 } }] });
      span.addLink({ context: { traceId: "a".repeat(32), spanId: "2".repeat(16), traceFlags: 1 }, attributes: { why: "added after start" } });
      span.addLinks([{ context: { traceId: "a".repeat(32), spanId: "3".repeat(16), traceFlags: 1 } }]);
      span.end();
      await ownProcessor.forceFlush();
      const t = await eventually(async () => {
        const found = await getTrace(reader, span.spanContext().traceId);
        expect(spanNamed(found, "linked later").state).toBe(SpanState.ENDED);
        return found!;
      });
      expect(spanNamed(t, "linked later").links.map((l) => hex(l.spanId))).toEqual(["1".repeat(16), "2".repeat(16), "3".repeat(16)]);
      expect(ownProcessor.stats()).toMatchObject({ dropped: 0, failed: 0 });
    } finally {
      await own.shutdown();
    }
  });
});
