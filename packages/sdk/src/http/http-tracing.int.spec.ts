// HTTP services traced by the middleware, against the real server: service A
// (Express) calls service B (Fastify) with the context injected into its
// request headers, and the server ends up with one trace: A's request span as
// the root, B's request span as its child, B's own work below that. A plain
// node:http handler covers incoming traceparent and tracestate, excluded paths
// and thrown errors. Span names carry route templates only: where no route is
// known (node:http, a 404) the name is the method alone.

import { createServer, request as httpRequest, type Server } from "node:http";
import { connect as connectHttp2, createServer as createHttp2Server, type Http2Server } from "node:http2";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { SpanKind, StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { close, listen } from "../../test/support/http-servers.js";
import { attributesOf, completedTrace, getTrace, hex, spanNamed } from "../../test/support/trace-reader.js";
import { createTestDatabase, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import { getActiveSpan } from "../context/active-context.js";
import { injectContext } from "../propagation/w3c-propagator.js";
import { createTracer } from "../trace/create-tracer.js";
import type { Tracer } from "../trace/tracer.js";
import { parseTraceparent } from "../w3c/traceparent.js";
import { expressTracing } from "./express.js";
import { fastifyTracing } from "./fastify.js";
import { traceHttpHandler } from "./node-http.js";
import type { HttpServerRequest } from "./server-messages.js";

let database: TestDatabase;
let server: Traceledger;
let reader: TracingClient;
let gateway: Tracer;
let inventory: Tracer;
let plain: Tracer;
let serviceA: Server;
let serviceB: FastifyInstance;
let serviceC: Server;
let serviceD: Http2Server;
let urlA: string;
let urlB: string;
let urlC: string;
let urlD: string;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer(database);
  reader = createTracingClient({ url: `http://${server.grpcAddress}` });
  gateway = createTracer({ serviceName: "gateway", url: `http://${server.grpcAddress}`, env: {} });
  inventory = createTracer({ serviceName: "inventory", url: `http://${server.httpAddress}`, transport: "connect", env: {} });
  plain = createTracer({ serviceName: "plain", url: `http://${server.grpcAddress}`, env: {} });

  // Service B: Fastify.
  serviceB = Fastify();
  await serviceB.register(fastifyTracing(inventory));
  serviceB.get<{ Params: { id: string } }>("/items/:id", async (request) => {
    const requestSpan = getActiveSpan();
    return inventory.withSpan("load item", async (span) => {
      span.setAttribute("item.id", request.params.id);
      return { id: request.params.id, requestSpanId: requestSpan?.spanContext().spanId };
    });
  });
  serviceB.get("/broken", async () => {
    throw new Error("inventory down");
  });
  serviceB.get("/gone", async () => {
    throw Object.assign(new Error("item withdrawn"), { statusCode: 404 });
  });
  await serviceB.listen({ port: 0, host: "127.0.0.1" });
  urlB = `http://127.0.0.1:${(serviceB.server.address() as { port: number }).port}`;

  // Service A: Express, calling B with the active context in its headers.
  const app = express();
  const tracing = expressTracing(gateway);
  app.use(tracing.requests);
  app.get("/orders/:id", async (req, res) => {
    const headers: Record<string, string> = {};
    injectContext(headers);
    const answer = await fetch(`${urlB}${req.params.id === "bad" ? "/broken" : `/items/${req.params.id}`}`, { headers });
    res.status(answer.status).json({ fromB: await answer.json(), sentTraceparent: headers["traceparent"] });
  });
  app.get("/healthz", (_req, res) => {
    res.send("ok");
  });
  app.get("/explode", () => {
    throw new RangeError("no such order");
  });
  app.get("/invalid", () => {
    throw Object.assign(new TypeError("quantity must be positive"), { status: 400 });
  });
  // Mounted routers: a parameterised mount (its params merged), and a static one holding a nested parameterised mount.
  const userOrders = express.Router({ mergeParams: true });
  userOrders.get("/orders/:orderId", (req, res) => {
    res.json(req.params);
  });
  app.use("/users/:userId", userOrders);
  const api = express.Router();
  const shelves = express.Router();
  shelves.get("/books/:isbn", (_req, res) => {
    res.send("book");
  });
  api.use("/shelves/:shelf", shelves);
  api.get("/status", (_req, res) => {
    res.send("up");
  });
  app.use("/api/", api);
  app.use(tracing.errors);
  serviceA = createServer(app);
  urlA = await listen(serviceA);

  // Service C: plain node:http; service D: the same handler on node:http2's compatibility API.
  const plainApp = (req: HttpServerRequest, res: PlainResponse) => {
    if (req.url?.startsWith("/fail")) throw new Error("handler failed");
    if (req.url?.startsWith("/export")) {
      // A streamed answer whose source dies half-way, after the headers and a first chunk are out.
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("row1\n");
      return new Promise((_resolve, reject) => setTimeout(() => reject(new Error("database cursor died")), 20));
    }
    if (req.url?.startsWith("/upstream")) {
      // The handler knows why it fails; the middleware must not replace that.
      getActiveSpan()?.setStatus({ code: "error", message: "downstream failed: 503" });
      res.statusCode = 502;
      res.end();
      return;
    }
    if (req.url?.startsWith("/unavailable")) {
      res.statusCode = 503;
      res.end();
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ active: getActiveSpan()?.spanContext().spanId }));
  };
  serviceC = createServer(traceHttpHandler(plain, plainApp));
  urlC = await listen(serviceC);
  // Inline, as an application writes it: req and res get their types from http2.createServer, with no cast.
  serviceD = createHttp2Server(traceHttpHandler(plain, (req, res) => plainApp(req, res)));
  await new Promise<void>((resolve) => serviceD.listen(0, "127.0.0.1", resolve));
  urlD = `http://127.0.0.1:${(serviceD.address() as { port: number }).port}`;
});

/** What the plain handler uses of a response: node:http's and node:http2's both have it, with overloads TS cannot call on their union. */
interface PlainResponse {
  statusCode: number;
  writeHead(statusCode: number, headers: Record<string, string>): unknown;
  write(chunk: string): unknown;
  setHeader(name: string, value: string): unknown;
  end(): unknown;
  end(chunk: string): unknown;
}

/** An HTTP/2 request: the response headers, the body, and the error that ended the stream, if any. */
async function http2Get(url: string, path: string, headers: Record<string, string> = {}) {
  const session = connectHttp2(url);
  try {
    return await new Promise<{ headers: Record<string, unknown>; body: string; error?: Error }>((resolve) => {
      const stream = session.request({ ":path": path, ...headers });
      let responseHeaders: Record<string, unknown> = {};
      let body = "";
      stream.setEncoding("utf8");
      stream.on("response", (h) => (responseHeaders = h));
      stream.on("data", (chunk: string) => (body += chunk));
      stream.on("error", (error) => resolve({ headers: responseHeaders, body, error }));
      stream.on("end", () => resolve({ headers: responseHeaders, body }));
      stream.end();
    });
  } finally {
    session.close();
  }
}

afterAll(async () => {
  await close(serviceA);
  await close(serviceC);
  if (serviceD?.listening) await new Promise<void>((resolve) => serviceD.close(() => resolve()));
  await serviceB?.close();
  await Promise.all([gateway?.shutdown(), inventory?.shutdown(), plain?.shutdown()]);
  reader?.close();
  await server?.stop();
  await database?.drop();
});

describe("A (Express) calls B (Fastify)", () => {
  it("produces one trace: A's request span, B's request span as its child, B's work below", async () => {
    const response = await fetch(`${urlA}/orders/42?expand=1`, { headers: { "user-agent": "sdk-test" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { fromB: { requestSpanId: string }; sentTraceparent: string };
    const aHeader = parseTraceparent(response.headers.get("traceparent") ?? "");
    if (!aHeader.ok) throw new Error(aHeader.reason);
    // A sent its own request span as the parent.
    expect(body.sentTraceparent).toBe(`00-${aHeader.value.traceId}-${aHeader.value.spanId}-03`);

    const trace = await completedTrace(reader, aHeader.value.traceId, 3);
    const a = spanNamed(trace, "GET /orders/:id");
    const b = spanNamed(trace, "GET /items/:id");
    const work = spanNamed(trace, "load item");
    expect(hex(a.spanId)).toBe(aHeader.value.spanId);
    expect(a.parentSpanId).toHaveLength(0);
    expect(a.kind).toBe(SpanKind.SERVER);
    expect(a.serviceName).toBe("gateway");
    expect(hex(b.parentSpanId)).toBe(hex(a.spanId));
    expect(b.serviceName).toBe("inventory");
    expect(b.kind).toBe(SpanKind.SERVER);
    expect(hex(b.spanId)).toBe(body.fromB.requestSpanId); // B's handler saw its span as active
    expect(hex(work.parentSpanId)).toBe(hex(b.spanId));

    const attrs = attributesOf(a);
    expect(attrs).toMatchObject({
      "http.request.method": "GET",
      "url.path": "/orders/42",
      "url.query": "expand=1",
      "url.scheme": "http",
      "http.route": "/orders/:id",
      "http.response.status_code": 200n,
      "server.address": "127.0.0.1",
      "user_agent.original": "sdk-test",
      "client.address": "127.0.0.1",
    });
    expect(attrs["server.port"]).toBe(BigInt(new URL(urlA).port));
    expect(attributesOf(b)).toMatchObject({ "http.route": "/items/:id", "http.response.status_code": 200n });
    expect(a.status?.code ?? StatusCode.UNSPECIFIED).toBe(StatusCode.UNSPECIFIED);
  });

  it("marks both request spans as errors when B throws, with B's error recorded", async () => {
    const response = await fetch(`${urlA}/orders/bad`);
    expect(response.status).toBe(500);
    const header = parseTraceparent(response.headers.get("traceparent") ?? "");
    if (!header.ok) throw new Error(header.reason);
    const trace = await completedTrace(reader, header.value.traceId, 2);
    const b = spanNamed(trace, "GET /broken");
    expect(b.status?.code).toBe(StatusCode.ERROR);
    expect(b.errors[0]).toMatchObject({ errorType: "Error", message: "inventory down", escaped: true });
    expect(spanNamed(trace, "GET /orders/:id").status?.code).toBe(StatusCode.ERROR);
  });

  it("records an error thrown by an Express route", async () => {
    const response = await fetch(`${urlA}/explode`);
    expect(response.status).toBe(500);
    const header = parseTraceparent(response.headers.get("traceparent") ?? "");
    if (!header.ok) throw new Error(header.reason);
    const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), "GET /explode");
    expect(span.status?.code).toBe(StatusCode.ERROR);
    expect(span.errors[0]).toMatchObject({ errorType: "RangeError", message: "no such order" });
    expect(attributesOf(span)["error.type"]).toBe("RangeError");
  });

  it("records what a route threw with a 4xx, leaving the status unset: a client error is not a server failure", async () => {
    for (const [url, name, errorType, message, code] of [
      [`${urlA}/invalid`, "GET /invalid", "TypeError", "quantity must be positive", 400],
      [`${urlB}/gone`, "GET /gone", "Error", "item withdrawn", 404],
    ] as const) {
      const response = await fetch(url);
      expect(response.status).toBe(code);
      const header = parseTraceparent(response.headers.get("traceparent") ?? "");
      if (!header.ok) throw new Error(header.reason);
      const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), name);
      expect(span.status?.code ?? StatusCode.UNSPECIFIED).toBe(StatusCode.UNSPECIFIED);
      expect(span.errors[0]).toMatchObject({ errorType, message, escaped: true });
      expect(attributesOf(span)["http.response.status_code"]).toBe(BigInt(code));
    }
  });

  it("names spans in mounted routers from the mount patterns, never from the ids in the path", async () => {
    for (const [path, route] of [
      ["/users/7/orders/9", "/users/:userId/orders/:orderId"],
      ["/api/shelves/poetry/books/978-0", "/api/shelves/:shelf/books/:isbn"],
      ["/api/status", "/api/status"],
    ] as const) {
      const response = await fetch(`${urlA}${path}`);
      expect(response.status).toBe(200);
      const header = parseTraceparent(response.headers.get("traceparent") ?? "");
      if (!header.ok) throw new Error(header.reason);
      const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), `GET ${route}`);
      expect(attributesOf(span)).toMatchObject({ "http.route": route, "url.path": path });
    }
  });

  it("names a request no route matched by its method alone", async () => {
    for (const url of [`${urlA}/no/such/page/123`, `${urlB}/no/such/page/123`]) {
      const response = await fetch(url);
      expect(response.status).toBe(404);
      const header = parseTraceparent(response.headers.get("traceparent") ?? "");
      if (!header.ok) throw new Error(header.reason);
      const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), "GET");
      expect(attributesOf(span)["url.path"]).toBe("/no/such/page/123");
      expect(attributesOf(span)["http.route"]).toBeUndefined();
    }
  });

  it("leaves excluded paths alone", async () => {
    const response = await fetch(`${urlA}/healthz`);
    expect(await response.text()).toBe("ok");
    expect(response.headers.get("traceparent")).toBeNull();
  });
});

describe("a node:http handler", () => {
  it("continues the incoming trace with its tracestate, named by path without the query", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const response = await fetch(`${urlC}/search?q=secret`, {
      headers: { TraceParent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" },
    });
    const header = parseTraceparent(response.headers.get("traceparent") ?? "");
    if (!header.ok) throw new Error(header.reason);
    expect(header.value.traceId).toBe(traceId);
    expect(((await response.json()) as { active: string }).active).toBe(header.value.spanId);
    const span = spanNamed(await completedTrace(reader, traceId, 1), "GET");
    expect(hex(span.parentSpanId)).toBe("00f067aa0ba902b7");
    expect(span.parentIsRemote).toBe(true);
    expect(span.tracestate).toBe("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    expect(attributesOf(span)["url.path"]).toBe("/search");
  });

  it("keeps the user info and host of an absolute-form request target out of the span (its query goes to url.query)", async () => {
    // What a client talking to a proxy sends: `GET http://alice:s3cret@internal.example/users/42?token=abc HTTP/1.1`.
    const traceparent = await new Promise<string>((resolve, reject) => {
      const { hostname, port } = new URL(urlC);
      const req = httpRequest({ hostname, port, path: "http://alice:s3cret@internal.example/users/42?token=abc" }, (res) => {
        res.resume();
        res.on("end", () => resolve(String(res.headers["traceparent"] ?? "")));
      });
      req.on("error", reject);
      req.end();
    });
    const header = parseTraceparent(traceparent);
    if (!header.ok) throw new Error(header.reason);
    const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), "GET");
    expect(attributesOf(span)).toMatchObject({ "url.path": "/users/42", "url.query": "token=abc" });
    expect(JSON.stringify(span, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value))).not.toMatch(/alice|s3cret|internal\.example/);
  });

  it("answers 500 and records the error when the handler throws", async () => {
    const response = await fetch(`${urlC}/fail`);
    expect(response.status).toBe(500);
    const header = parseTraceparent(response.headers.get("traceparent") ?? "");
    if (!header.ok) throw new Error(header.reason);
    const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), "GET");
    expect(span.status?.code).toBe(StatusCode.ERROR);
    expect(span.errors[0]?.message).toBe("handler failed");
  });

  it("aborts a streamed response when the handler fails after the headers are out, and marks the span failed", async () => {
    const response = await fetch(`${urlC}/export`);
    expect(response.status).toBe(200);
    // The client must not take the first chunk for the whole body.
    await expect(response.text()).rejects.toThrow();
    const header = parseTraceparent(response.headers.get("traceparent") ?? "");
    if (!header.ok) throw new Error(header.reason);
    const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), "GET");
    expect(span.status).toMatchObject({ code: StatusCode.ERROR, message: "database cursor died" });
    expect(span.errors[0]).toMatchObject({ message: "database cursor died", escaped: true });
    expect(attributesOf(span)).toMatchObject({ "http.response.status_code": 200n, "error.type": "Error" });
  });

  it("over HTTP/2, continues the incoming trace and resets a stream whose handler failed mid-answer", async () => {
    const traceId = "5bf92f3577b34da6a3ce929d0e0e4737";
    const ok = await http2Get(urlD, "/search", { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: "rojo=00f067aa0ba902b7" });
    expect(ok.error).toBeUndefined();
    const header = parseTraceparent(String(ok.headers["traceparent"] ?? ""));
    if (!header.ok) throw new Error(header.reason);
    expect(header.value.traceId).toBe(traceId);
    expect((JSON.parse(ok.body) as { active: string }).active).toBe(header.value.spanId);
    const span = spanNamed(await completedTrace(reader, traceId, 1), "GET");
    expect(hex(span.parentSpanId)).toBe("00f067aa0ba902b7");
    expect(span.parentIsRemote).toBe(true);
    expect(span.tracestate).toBe("rojo=00f067aa0ba902b7");
    expect(attributesOf(span)).toMatchObject({ "server.address": "127.0.0.1", "network.protocol.version": "2.0" });

    const failed = await http2Get(urlD, "/export");
    expect(failed.headers[":status"]).toBe(200);
    expect(failed.error?.message).toMatch(/NGHTTP2_INTERNAL_ERROR/);
  });

  it("keeps the status message the handler set on a 5xx, leaves an unset one empty (the code says it), and sets error.type", async () => {
    for (const [path, code, message] of [
      ["/upstream", 502, "downstream failed: 503"],
      ["/unavailable", 503, ""],
    ] as const) {
      const response = await fetch(`${urlC}${path}`);
      expect(response.status).toBe(code);
      const header = parseTraceparent(response.headers.get("traceparent") ?? "");
      if (!header.ok) throw new Error(header.reason);
      const span = spanNamed(await completedTrace(reader, header.value.traceId, 1), "GET");
      expect(span.status?.code).toBe(StatusCode.ERROR);
      expect(span.status?.message ?? "").toBe(message);
      expect(attributesOf(span)["error.type"]).toBe(String(code));
    }
  });

  it("propagates an unsampled incoming context without recording it", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const before = plain.stats();
    const response = await fetch(`${urlC}/quiet`, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-00` } });
    const header = parseTraceparent(response.headers.get("traceparent") ?? "");
    if (!header.ok) throw new Error(header.reason);
    expect(header.value).toMatchObject({ traceId, traceFlags: 0 });
    expect(header.value.spanId).not.toBe("b7ad6b7169203331");
    await plain.forceFlush();
    expect(plain.stats().sent).toBe(before.sent);
    expect(await getTrace(reader, traceId)).toBeUndefined();
  });
});
