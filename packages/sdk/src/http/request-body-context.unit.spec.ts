// Work a handler does in its request's own events (a body read by hand: `data`, `end`)
// runs inside the request's span. Node calls those listeners in the context the
// connection was accepted in, so before, a span started there began a trace of its own,
// and one started by a server that was itself started inside a span joined that span's
// trace, for every request. Real node:http and Express servers on loopback; the spans
// go to a sink in memory.

import { createServer, type IncomingMessage, type Server } from "node:http";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { close, listen } from "../../test/support/http-servers.js";
import { memoryTracer, type MemorySink } from "../../test/support/memory-sink.js";
import type { Tracer } from "../trace/tracer.js";
import { expressTracing } from "./express.js";
import { traceHttpHandler } from "./node-http.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await close(server);
});

/** Reads the body by hand and starts a span once it has all come. */
function readBodyThenTrace(tracer: Tracer, request: IncomingMessage, done: () => void): void {
  let size = 0;
  request.on("data", (chunk: Buffer) => (size += chunk.length));
  request.on("end", () => {
    tracer.withSpan("parse body", (span) => span.setAttribute("body.size", size));
    done();
  });
}

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: "POST", body });
  await response.arrayBuffer();
}

/** Each "parse body" span with the request span (its parent, in the same trace) it must belong to. */
function parentsOf(sink: MemorySink): { parent: string; request: string | undefined; sameTrace: boolean }[] {
  const starts = sink.ofType("startSpan");
  return starts
    .filter((s) => s.name === "parse body")
    .map((child) => {
      const parent = starts.find((s) => s.spanId === child.parentSpanId);
      return { parent: parent?.name ?? "(none)", request: parent?.kind === 2 ? "server" : undefined, sameTrace: parent?.traceId === child.traceId };
    });
}

describe("a request's own events run inside its span", () => {
  it("node:http: a span started when the body has been read is the request span's child", async () => {
    const { tracer, sink } = memoryTracer({ serviceName: "body" });
    const server = createServer(traceHttpHandler(tracer, (request, response) => readBodyThenTrace(tracer, request, () => response.end("ok"))));
    servers.push(server);
    const url = await listen(server);
    await post(url, "x".repeat(100_000));
    expect(parentsOf(sink)).toEqual([{ parent: "POST", request: "server", sameTrace: true }]);
  });

  it("node:http started inside a span: requests' body work joins each request's span, not the span the server started in", async () => {
    const { tracer, sink } = memoryTracer({ serviceName: "body" });
    const server = createServer(traceHttpHandler(tracer, (request, response) => readBodyThenTrace(tracer, request, () => response.end("ok"))));
    servers.push(server);
    const url = await tracer.withSpan("startup", () => listen(server));
    await Promise.all([post(url, "first"), post(url, "second")]);
    expect(parentsOf(sink)).toEqual([
      { parent: "POST", request: "server", sameTrace: true },
      { parent: "POST", request: "server", sameTrace: true },
    ]);
  });

  it("Express: the same in a route that reads its body by hand", async () => {
    const { tracer, sink } = memoryTracer({ serviceName: "body" });
    const app = express();
    const tracing = expressTracing(tracer);
    app.use(tracing.requests);
    app.post("/upload", (req, res) => readBodyThenTrace(tracer, req, () => res.send("ok")));
    const server = createServer(app);
    servers.push(server);
    const url = await listen(server);
    await post(`${url}/upload`, "x".repeat(100_000));
    expect(parentsOf(sink)).toEqual([{ parent: "POST /upload", request: "server", sameTrace: true }]);
  });

  it("a listener taken off by the function it was added with is gone", async () => {
    const { tracer } = memoryTracer({ serviceName: "body" });
    let called = 0;
    const server = createServer(
      traceHttpHandler(tracer, (request, response) => {
        const listener = () => called++;
        request.on("data", listener);
        request.off("data", listener);
        request.once("end", listener);
        request.removeListener("end", listener);
        // Added twice, removed twice, as node counts them.
        request.on("end", listener);
        request.on("end", listener);
        request.off("end", listener);
        request.off("end", listener);
        request.on("end", () => response.end("ok"));
        request.resume();
      }),
    );
    servers.push(server);
    await post(await listen(server), "body");
    expect(called).toBe(0);
  });
});
