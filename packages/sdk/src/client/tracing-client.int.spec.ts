// The thin client and the tracer's batching, over both transports, against the
// real server: gRPC to the gRPC port, Connect to the HTTP port.

import { SpanState, StatusCode } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { serverPerFile } from "../../test/support/server-per-file.js";
import { eventually } from "../../test/support/eventually.js";
import { bytes, getTrace, hex, spanNamed } from "../../test/support/trace-reader.js";
import { newSpanId, newTraceId } from "../ids/random-ids.js";
import { createTracer } from "../trace/create-tracer.js";
import { createTracingClient, type TransportKind } from "./tracing-client.js";

const e2e = serverPerFile();

const urlFor = (transport: TransportKind) => `http://${transport === "grpc" ? e2e.server.grpcAddress : e2e.server.httpAddress}`;

describe.each<TransportKind>(["grpc", "connect"])("over %s", (transport) => {
  it("starts a span with client-chosen ids, shows it running, and ends it", async () => {
    const client = createTracingClient({ url: urlFor(transport), transport, timeoutMs: 5_000, headers: { "x-team": "sdk" } });
    try {
      const traceId = newTraceId();
      const spanId = newSpanId();
      const started = await client.startSpan({ traceId: bytes(traceId), spanId: bytes(spanId), name: "unary", serviceName: `client-${transport}` });
      expect(hex(started.spanId)).toBe(spanId);
      expect(started.traceparent).toBe(`00-${traceId}-${spanId}-01`);
      // Retrying the same start is recognised, not duplicated.
      const again = await client.startSpan({ traceId: bytes(traceId), spanId: bytes(spanId), name: "unary", serviceName: `client-${transport}` });
      expect(again.traceVersion).toBe(started.traceVersion);
      expect(spanNamed(await getTrace(client, traceId), "unary").state).toBe(SpanState.RUNNING);
      await client.endSpan({ traceparent: started.traceparent, status: { code: StatusCode.OK } });
      expect(spanNamed(await getTrace(client, traceId), "unary").state).toBe(SpanState.ENDED);
    } finally {
      client.close();
    }
  });

  it("ships a tracer's spans in batches", async () => {
    const tracer = createTracer({ url: urlFor(transport), transport, serviceName: `tracer-${transport}`, env: {} });
    const reader = createTracingClient({ url: urlFor("grpc") });
    try {
      let traceId = "";
      await tracer.withSpan("parent", async (parent) => {
        traceId = parent.spanContext().traceId;
        parent.setAttributes({ "order.id": "o-1" });
        await tracer.withSpan("child", (child) => {
          child.addEvent("cache.miss", { key: "user:1" });
          child.recordError(new TypeError("bad input"), { attributes: { field: "email" } });
        });
      });
      await tracer.forceFlush();
      expect(tracer.stats()).toMatchObject({ dropped: 0, failed: 0 });
      const trace = await eventually(async () => {
        const t = await getTrace(reader, traceId);
        expect(t?.spans).toHaveLength(2);
        return t!;
      });
      const parent = spanNamed(trace, "parent");
      const child = spanNamed(trace, "child");
      expect(hex(child.parentSpanId)).toBe(hex(parent.spanId));
      expect(child.parentIsRemote).toBe(false);
      expect(parent.serviceName).toBe(`tracer-${transport}`);
      expect(parent.attributes.find((a) => a.key === "order.id")?.value?.value).toEqual({ case: "stringValue", value: "o-1" });
      expect(child.events.map((e) => e.name)).toEqual(["cache.miss"]);
      expect(child.errors[0]).toMatchObject({ errorType: "TypeError", message: "bad input" });
      expect(child.errors[0]!.stacktrace).toContain("TypeError: bad input");
      expect(parent.resourceAttributes.find((a) => a.key === "telemetry.sdk.name")?.value?.value.value).toBe("@traceledger/sdk");
    } finally {
      await tracer.shutdown();
      reader.close();
    }
  });
});

describe("immediate mode", () => {
  it("sends every command as its own unary call", async () => {
    const calls: string[] = [];
    const tracer = createTracer({
      url: urlFor("grpc"),
      serviceName: "immediate",
      mode: "immediate",
      env: {},
      interceptors: [
        (next) => (request) => {
          calls.push(request.method.name);
          return next(request);
        },
      ],
    });
    const reader = createTracingClient({ url: urlFor("grpc") });
    try {
      let traceId = "";
      tracer.withSpan("now", (span) => {
        traceId = span.spanContext().traceId;
        span.addEvent("tick");
      });
      await tracer.forceFlush();
      expect(calls).toEqual(["StartSpan", "AddSpanEvent", "EndSpan"]);
      expect(spanNamed(await getTrace(reader, traceId), "now").state).toBe(SpanState.ENDED);
    } finally {
      await tracer.shutdown();
      reader.close();
    }
  });
});
