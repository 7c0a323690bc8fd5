// http.request.method as the OpenTelemetry HTTP conventions record it: a known
// method as itself; any other (PROPFIND by default, or a lower-case `get`, which
// HTTP/2 lets a client send: methods are case-sensitive) as `_OTHER`, with the
// method as sent in http.request.method_original and the span named "HTTP". The
// known list can be replaced in code or by OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS.
// Real node:http and node:http2 servers on loopback; spans go to a sink in memory.

import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, createServer as createHttp2Server, type Http2Server } from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../../test/support/eventually.js";
import { close, listen } from "../../test/support/http-servers.js";
import { memoryTracer, type MemorySink } from "../../test/support/memory-sink.js";
import type { StartSpanCommand } from "../commands/span-command.js";
import type { HttpTracingOptions } from "./http-tracing-options.js";
import { methodNames } from "./http-tracing-options.js";
import { traceHttpHandler } from "./node-http.js";

const servers: Array<Server | Http2Server> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    if ("closeAllConnections" in server) await close(server);
    else await new Promise((resolve) => server.close(resolve));
  }
});

function startOf(sink: MemorySink): Promise<StartSpanCommand> {
  return eventually(() => {
    const [start] = sink.ofType("startSpan");
    expect(start).toBeDefined();
    return start!;
  });
}

async function http1(method: string, options: HttpTracingOptions = {}): Promise<StartSpanCommand> {
  const { tracer, sink } = memoryTracer({ serviceName: "methods" });
  const server = createServer(traceHttpHandler(tracer, (_request, response) => response.end("ok"), options));
  servers.push(server);
  const url = new URL(await listen(server));
  await new Promise<void>((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, method, path: "/files/a" }, (response) => {
      response.resume();
      response.on("end", resolve);
    });
    request.on("error", reject);
    request.end();
  });
  return startOf(sink);
}

async function http2(method: string): Promise<StartSpanCommand> {
  const { tracer, sink } = memoryTracer({ serviceName: "methods" });
  const server = createHttp2Server(traceHttpHandler(tracer, (_request, response) => response.end("ok")));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      const stream = session.request({ ":method": method, ":path": "/files/a" });
      stream.on("error", reject);
      stream.resume();
      stream.on("end", resolve);
      stream.end();
    });
  } finally {
    session.close();
  }
  return startOf(sink);
}

describe("http.request.method", () => {
  it("records a known method as itself, with no original", async () => {
    const start = await http1("DELETE");
    expect(start.name).toBe("DELETE");
    expect(start.attributes).toMatchObject({ "http.request.method": "DELETE" });
    expect(start.attributes).not.toHaveProperty("http.request.method_original");
  });

  it("records a method it does not know as _OTHER, the method as sent beside it, the span named HTTP", async () => {
    const start = await http1("PROPFIND");
    expect(start.name).toBe("HTTP");
    expect(start.attributes).toMatchObject({ "http.request.method": "_OTHER", "http.request.method_original": "PROPFIND" });
  });

  it("does not upper-case a lower-case method sent over HTTP/2: methods are case-sensitive", async () => {
    const start = await http2("get");
    expect(start.attributes).toMatchObject({ "http.request.method": "_OTHER", "http.request.method_original": "get" });
    expect((await http2("GET")).attributes).toMatchObject({ "http.request.method": "GET" });
  });

  it("takes a full list of known methods in code, which replaces the default one", async () => {
    const options = { knownMethods: ["GET", "PROPFIND"] };
    const propfind = await http1("PROPFIND", options);
    expect(propfind.name).toBe("PROPFIND");
    expect(propfind.attributes).toMatchObject({ "http.request.method": "PROPFIND" });
    expect((await http1("DELETE", options)).attributes).toMatchObject({ "http.request.method": "_OTHER", "http.request.method_original": "DELETE" });
  });

  it("reads the list from OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS when the code gives none; a blank one is no list", () => {
    const request = (method: string) => ({ method, headers: {} }) as never;
    const fromEnv = methodNames({}, { OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: " GET , PROPFIND ,," });
    expect([fromEnv.of(request("PROPFIND")), fromEnv.of(request("POST"))]).toEqual([{ method: "PROPFIND" }, { method: "_OTHER", original: "POST" }]);
    expect(methodNames({ knownMethods: ["POST"] }, { OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: "GET" }).of(request("POST"))).toEqual({ method: "POST" });
    expect(methodNames({}, { OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: " " }).of(request("PATCH"))).toEqual({ method: "PATCH" });
  });
});
