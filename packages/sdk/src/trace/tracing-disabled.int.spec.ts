// TRACING_ENABLED=false makes the SDK a no-op: a workload of spans, HTTP
// requests and an OpenTelemetry provider makes zero calls, counted by a connect
// interceptor (the same workload with tracing on is the control). Against the
// real server, so a call would really be made.

import { createServer, type Server } from "node:http";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import type { Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { close, listen } from "../../test/support/http-servers.js";
import { serverPerFile } from "../../test/support/server-per-file.js";
import { traceHttpHandler } from "../http/node-http.js";
import { TraceledgerSpanProcessor } from "../otel/traceledger-span-processor.js";
import { injectContext } from "../propagation/w3c-propagator.js";
import { createTracer } from "./create-tracer.js";

const e2e = serverPerFile();

async function workload(env: Record<string, string>): Promise<{ calls: number; injected: Record<string, string> }> {
  let calls = 0;
  const counting: Interceptor = (next) => (request) => {
    calls++;
    return next(request);
  };
  const url = `http://${e2e.server.grpcAddress}`;
  const tracer = createTracer({ serviceName: "quiet", url, env, interceptors: [counting] });
  const processor = new TraceledgerSpanProcessor({ url, env, interceptors: [counting] });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  let app: Server | undefined;
  try {
    const injected: Record<string, string> = {};
    await tracer.withSpan("job", async (span) => {
      span.setAttributes({ a: 1 }).addEvent("e").recordError(new Error("x"));
      tracer.startSpan("child").end();
      injectContext(injected);
    });
    app = createServer(traceHttpHandler(tracer, (_req, res) => res.end("ok")));
    const appUrl = await listen(app);
    const response = await fetch(`${appUrl}/ping`, { headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } });
    expect(await response.text()).toBe("ok");
    provider.getTracer("otel").startSpan("otel span").end();
    await tracer.forceFlush();
    await provider.forceFlush();
    return { calls, injected };
  } finally {
    await close(app);
    await tracer.shutdown();
    await provider.shutdown();
  }
}

describe("TRACING_ENABLED=false", () => {
  it("makes zero calls (and the same workload with tracing on does make them)", async () => {
    const off = await workload({ TRACING_ENABLED: "false" });
    expect(off.calls).toBe(0);
    expect(off.injected).toEqual({});
    const on = await workload({ TRACING_ENABLED: "true" });
    expect(on.calls).toBeGreaterThan(0);
    expect(on.injected["traceparent"]).toMatch(/^00-/);
  });
});
