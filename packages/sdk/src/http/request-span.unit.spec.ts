// How a request span ends, as the OpenTelemetry HTTP server span conventions say
// (semantic-conventions docs/http/http-spans.md): a failed request carries
// `error.type` (the escaped error's type, else the 5xx code, else `aborted` for a
// response the connection closed under, which is also ERROR); the status
// description is left empty where the status code says it all; the query is
// recorded in `url.query`, with sensitive values redacted. Real node:http and
// Express servers on loopback; the spans go to a sink in memory.

import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import express from "express";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../../test/support/eventually.js";
import { close, listen } from "../../test/support/http-servers.js";
import { memoryTracer, type MemorySink } from "../../test/support/memory-sink.js";
import { END_REASON_CANCELLED, type EndSpanCommand, type StartSpanCommand } from "../commands/span-command.js";
import { getActiveSpan } from "../context/active-context.js";
import { expressTracing } from "./express.js";
import { fastifyTracing } from "./fastify.js";
import { requestQuery } from "./http-semantic-attributes.js";
import { traceHttpHandler } from "./node-http.js";

const STATUS_UNSET = 0;
const STATUS_OK = 1;
const STATUS_ERROR = 2;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await close(server);
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => unknown): Promise<{ url: string; sink: MemorySink }> {
  const { tracer, sink } = memoryTracer({ serviceName: "ends" });
  const server = createServer(traceHttpHandler(tracer, handler));
  servers.push(server);
  return { url: await listen(server), sink };
}

/** The request span's end, once the server has ended it (the client may have its answer first). */
function endOf(sink: MemorySink): Promise<EndSpanCommand> {
  return eventually(() => {
    const [end, ...more] = sink.ofType("endSpan");
    expect(end).toBeDefined();
    expect(more).toEqual([]);
    return end!;
  });
}

function startOf(sink: MemorySink): StartSpanCommand {
  const [start] = sink.ofType("startSpan");
  if (start === undefined) throw new Error("no span started");
  return start;
}

async function get(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

/** A GET the client gives up on: after the first chunk of the body when `afterFirstChunk`, else once the request is sent. */
function abandonedGet(url: string, afterFirstChunk: boolean): Promise<void> {
  return new Promise((resolve) => {
    const request = httpRequest(url, (response) => {
      response.once("data", () => request.destroy());
    });
    request.on("error", () => undefined); // the abort itself
    request.on("close", () => resolve());
    if (afterFirstChunk) request.end();
    else request.end(() => setTimeout(() => request.destroy(), 50));
  });
}

/** A GET read until the server ends or cuts the response. */
function truncatedGet(url: string): Promise<void> {
  return new Promise((resolve) => {
    const request = httpRequest(url, (response) => {
      response.resume();
      response.on("error", () => undefined); // the cut itself
      response.once("close", () => resolve());
    });
    request.on("error", () => resolve());
    request.end();
  });
}

describe("error.type and status of a request span", () => {
  it("a plain 5xx: ERROR with no description (the status code says it), error.type the code", async () => {
    const { url, sink } = await serve((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    expect(await get(url)).toBe(503);
    const end = await endOf(sink);
    expect(end).toMatchObject({ statusCode: STATUS_ERROR, statusMessage: "", endReason: 0 });
    expect(end.attributes).toEqual({ "http.response.status_code": 503, "error.type": "503" });
  });

  it("a 5xx whose handler set its own ERROR keeps the handler's description, and gets error.type", async () => {
    const { url, sink } = await serve((_req, res) => {
      getActiveSpan()?.setStatus({ code: "error", message: "downstream failed: 503" });
      res.statusCode = 502;
      res.end();
    });
    expect(await get(url)).toBe(502);
    const end = await endOf(sink);
    expect(end).toMatchObject({ statusCode: STATUS_ERROR, statusMessage: "downstream failed: 503" });
    expect(end.attributes?.["error.type"]).toBe("502");
  });

  it("a handler's error that escaped: error.type its type name, the description its message", async () => {
    const { url, sink } = await serve(() => {
      throw new TypeError("cannot read the basket");
    });
    expect(await get(url)).toBe(500);
    const end = await endOf(sink);
    expect(end).toMatchObject({ statusCode: STATUS_ERROR, statusMessage: "cannot read the basket" });
    expect(end.attributes).toEqual({ "http.response.status_code": 500, "error.type": "TypeError" });
    expect(sink.ofType("recordError")[0]?.errorType).toBe("TypeError"); // the same value as the recorded error's
  });

  it("Express: a route's thrown error gives error.type its type name", async () => {
    const { tracer, sink } = memoryTracer({ serviceName: "ends" });
    const app = express();
    const tracing = expressTracing(tracer);
    app.use(tracing.requests);
    app.get("/explode", () => {
      throw new RangeError("no such order");
    });
    app.use(tracing.errors);
    const server = createServer(app);
    servers.push(server);
    expect(await get(`${await listen(server)}/explode`)).toBe(500);
    const end = await endOf(sink);
    expect(end).toMatchObject({ statusCode: STATUS_ERROR, statusMessage: "no such order" });
    expect(end.attributes?.["error.type"]).toBe("RangeError");
  });

  it("a 4xx, even with a thrown error, and a 2xx are no failures: status unset, no error.type", async () => {
    const { tracer, sink } = memoryTracer({ serviceName: "ends" });
    const app = express();
    const tracing = expressTracing(tracer);
    app.use(tracing.requests);
    app.get("/invalid", () => {
      throw Object.assign(new TypeError("quantity must be positive"), { status: 400 });
    });
    app.get("/ok", (_req, res) => {
      res.send("ok");
    });
    app.use(tracing.errors);
    const server = createServer(app);
    servers.push(server);
    const url = await listen(server);
    expect(await get(`${url}/invalid`)).toBe(400);
    expect(await get(`${url}/ok`)).toBe(200);
    const ends = await eventually(() => {
      const ends = sink.ofType("endSpan");
      expect(ends).toHaveLength(2);
      return ends;
    });
    for (const end of ends) {
      expect(end.statusCode).toBe(STATUS_UNSET);
      expect(end.attributes?.["error.type"]).toBeUndefined();
    }
  });

  it("a status OK the handler set on a 5xx is its word: kept, no error.type", async () => {
    const { url, sink } = await serve((_req, res) => {
      getActiveSpan()?.setStatus({ code: "ok" });
      res.statusCode = 500;
      res.end();
    });
    expect(await get(url)).toBe(500);
    const end = await endOf(sink);
    expect(end.statusCode).toBe(STATUS_OK);
    expect(end.attributes).toEqual({ "http.response.status_code": 500 });
  });

  it("the connection closed after the headers, before the body's end: ERROR, error.type aborted, end reason CANCELLED", async () => {
    const { url, sink } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first chunk\n"); // and never the rest
    });
    await abandonedGet(url, true);
    const end = await endOf(sink);
    expect(end).toMatchObject({ statusCode: STATUS_ERROR, endReason: END_REASON_CANCELLED });
    expect(end.statusMessage).toMatch(/closed/);
    expect(end.attributes).toEqual({ "http.response.status_code": 200, "error.type": "aborted" });
  });

  it("Express: a route that threw after its headers went out failed, whatever closed the connection: ERROR, its error, not CANCELLED", async () => {
    const { tracer, sink } = memoryTracer({ serviceName: "ends" });
    const app = express();
    const tracing = expressTracing(tracer);
    app.use(tracing.requests);
    app.get("/stream", async (_req, res) => {
      res.write("first chunk\n");
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new TypeError("the source failed mid-stream");
    });
    app.use(tracing.errors);
    const server = createServer(app);
    servers.push(server);
    // Express's final handler cannot answer 500 any more: it destroys the connection.
    await truncatedGet(`${await listen(server)}/stream`);
    const end = await endOf(sink);
    expect(end).toMatchObject({ statusCode: STATUS_ERROR, statusMessage: "the source failed mid-stream", endReason: 0 });
    expect(end.attributes).toEqual({ "http.response.status_code": 200, "error.type": "TypeError" });
  });

  it("Fastify: a streamed reply whose source failed after the headers went out failed: ERROR, its error, not CANCELLED", async () => {
    const { tracer, sink } = memoryTracer({ serviceName: "ends" });
    const app = Fastify();
    await app.register(fastifyTracing(tracer));
    app.get("/stream", async (_request, reply) => {
      const source = new Readable({ read() {} });
      source.push("first chunk\n");
      setTimeout(() => source.destroy(new TypeError("the source failed mid-stream")), 20);
      return reply.send(source);
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      await truncatedGet(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/stream`);
      const end = await endOf(sink);
      expect(end).toMatchObject({ statusCode: STATUS_ERROR, statusMessage: "the source failed mid-stream", endReason: 0 });
      expect(end.attributes).toEqual({ "http.response.status_code": 200, "error.type": "TypeError" });
    } finally {
      await app.close();
    }
  });

  it("the connection closed before any answer: ERROR, error.type aborted, no status code, end reason CANCELLED", async () => {
    const { url, sink } = await serve(() => undefined); // never answers
    await abandonedGet(url, false);
    const end = await endOf(sink);
    expect(end).toMatchObject({ statusCode: STATUS_ERROR, endReason: END_REASON_CANCELLED });
    expect(end.attributes).toEqual({ "error.type": "aborted" });
  });
});

describe("url.query", () => {
  it("is recorded without the '?', with the values of sensitive keys redacted", async () => {
    const { url, sink } = await serve((_req, res) => res.end("ok"));
    await get(`${url}/files/report.pdf?q=OpenTelemetry&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=vjbyPxybdZ&Expires=1700000000`);
    expect(startOf(sink).attributes).toMatchObject({
      "url.path": "/files/report.pdf",
      "url.query": "q=OpenTelemetry&AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1700000000",
    });
  });

  it("is absent when the request has no query", async () => {
    const { url, sink } = await serve((_req, res) => res.end("ok"));
    await get(`${url}/plain`);
    expect(startOf(sink).attributes?.["url.query"]).toBeUndefined();
  });

  it.each([
    ["/search?q=1", "q=1"],
    ["/search?q=1&sig=abc%2Bdef", "q=1&sig=REDACTED"],
    ["/o?X-Goog-Signature=0a1b&X-Goog-Date=20240101T000000Z", "X-Goog-Signature=REDACTED&X-Goog-Date=20240101T000000Z"],
    ["/o?x-goog-signature=0a1b&SIG=x&X%2DGoog-Signature=y", "x-goog-signature=REDACTED&SIG=REDACTED&X%2DGoog-Signature=REDACTED"],
    ["/o?signature&sig=&a=b=c", "signature&sig=REDACTED&a=b=c"],
    ["/o?design=1&signatures=2&%E0%A4%A=3", "design=1&signatures=2&%E0%A4%A=3"],
    ["/o?", undefined],
    ["/o", undefined],
    ["/o?q=1#frag", "q=1"],
    ["http://alice:s3cret@internal.example/users/42?token=abc&sig=x", "token=abc&sig=REDACTED"],
    ["http://internal.example?x=1", "x=1"],
  ])("%s -> %s", (target, query) => {
    expect(requestQuery({ url: target, headers: {} } as IncomingMessage)).toBe(query);
  });
});
