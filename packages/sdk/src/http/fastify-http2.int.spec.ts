// Fastify with `http2: true` (cleartext HTTP/2), against the real server: the
// plugin is handed node:http2's compatibility request and response as
// `request.raw` and `reply.raw`, and must trace them as it does HTTP/1.1's: a
// SERVER span named from the route template, child of the caller's
// traceparent, with the same attributes, and a failed route's error recorded.

import { connect, type Http2Server, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import Fastify, { type FastifyInstance } from "fastify";
import { SpanKind, StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attributesOf, completedTrace, hex, spanNamed } from "../../test/support/trace-reader.js";
import { serverPerFile } from "../../test/support/server-per-file.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import { getActiveSpan } from "../context/active-context.js";
import { createTracer } from "../trace/create-tracer.js";
import type { Tracer } from "../trace/tracer.js";
import { parseTraceparent } from "../w3c/traceparent.js";
import { fastifyTracing } from "./fastify.js";

const CALLER_TRACE = "6bf92f3577b34da6a3ce929d0e0e4738";
const CALLER_SPAN = "00f067aa0ba902b8";

const e2e = serverPerFile();
let reader: TracingClient;
let tracer: Tracer;
let app: FastifyInstance<Http2Server, Http2ServerRequest, Http2ServerResponse>;
let url: string;

beforeAll(async () => {
  reader = createTracingClient({ url: `http://${e2e.server.grpcAddress}` });
  tracer = createTracer({ serviceName: "inventory", url: `http://${e2e.server.grpcAddress}`, env: {} });
  app = Fastify({ http2: true });
  await app.register(fastifyTracing(tracer));
  app.get<{ Params: { id: string } }>("/items/:id", async (request) => {
    const requestSpan = getActiveSpan();
    return tracer.withSpan("load item", async () => ({ id: request.params.id, requestSpanId: requestSpan?.spanContext().spanId }));
  });
  app.get("/broken", async () => {
    throw new Error("inventory down");
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await app?.close();
  await tracer?.shutdown();
  reader?.close();
});

/** One HTTP/2 GET: the response headers and body. */
async function get(path: string, headers: Record<string, string> = {}) {
  const session = connect(url);
  try {
    return await new Promise<{ headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const stream = session.request({ ":path": path, ...headers });
      let responseHeaders: Record<string, unknown> = {};
      let body = "";
      stream.setEncoding("utf8");
      stream.on("response", (h) => (responseHeaders = h));
      stream.on("data", (chunk: string) => (body += chunk));
      stream.on("error", reject);
      stream.on("end", () => resolve({ headers: responseHeaders, body }));
      stream.end();
    });
  } finally {
    session.close();
  }
}

describe("Fastify with http2: true", () => {
  it("continues the caller's trace in a span named from the route, with the HTTP/1.1 attributes", async () => {
    const response = await get("/items/42?expand=1", {
      traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
      tracestate: "rojo=00f067aa0ba902b8",
      "user-agent": "sdk-test",
    });
    expect(response.headers[":status"]).toBe(200);
    const header = parseTraceparent(String(response.headers["traceparent"] ?? ""));
    if (!header.ok) throw new Error(header.reason);
    expect(header.value.traceId).toBe(CALLER_TRACE);

    // The caller's span is not stored: the trace holds the request span and its work.
    const trace = await completedTrace(reader, CALLER_TRACE, 2);
    const span = spanNamed(trace, "GET /items/:id");
    expect(hex(span.spanId)).toBe(header.value.spanId);
    expect(hex(span.parentSpanId)).toBe(CALLER_SPAN);
    expect(span.parentIsRemote).toBe(true);
    expect(span.tracestate).toBe("rojo=00f067aa0ba902b8");
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.serviceName).toBe("inventory");
    expect((JSON.parse(response.body) as { requestSpanId: string }).requestSpanId).toBe(header.value.spanId);
    expect(hex(spanNamed(trace, "load item").parentSpanId)).toBe(header.value.spanId);
    expect(attributesOf(span)).toMatchObject({
      "http.request.method": "GET",
      "url.path": "/items/42",
      "url.scheme": "http",
      "http.route": "/items/:id",
      "http.response.status_code": 200n,
      "server.address": "127.0.0.1",
      "server.port": BigInt(new URL(url).port),
      "user_agent.original": "sdk-test",
      "client.address": "127.0.0.1",
      "network.protocol.version": "2.0",
    });
    expect(span.status?.code ?? StatusCode.UNSPECIFIED).toBe(StatusCode.UNSPECIFIED);
  });

  it("records the error a route threw, with the span failed on its 500", async () => {
    const response = await get("/broken");
    expect(response.headers[":status"]).toBe(500);
    const header = parseTraceparent(String(response.headers["traceparent"] ?? ""));
    if (!header.ok) throw new Error(header.reason);
    const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), "GET /broken");
    expect(span.status?.code).toBe(StatusCode.ERROR);
    expect(span.errors[0]).toMatchObject({ errorType: "Error", message: "inventory down", escaped: true });
    expect(attributesOf(span)["http.response.status_code"]).toBe(500n);
  });
});
