// Behind a reverse proxy, a request span describes the client's request, as the
// OpenTelemetry HTTP conventions ask: server.address/server.port from the
// proxy's Forwarded#host (else X-Forwarded-Host), url.scheme from
// Forwarded#proto (else X-Forwarded-Proto), client.address from Forwarded#for
// (else X-Forwarded-For); without them, from Host and the connection. A host
// named without a port is at its scheme's default port. A real node:http
// server on loopback; spans go to a sink in memory.

import { createServer, request as httpRequest, type OutgoingHttpHeaders, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../../test/support/eventually.js";
import { close, listen } from "../../test/support/http-servers.js";
import { memoryTracer } from "../../test/support/memory-sink.js";
import type { Attributes } from "../commands/attributes.js";
import { traceHttpHandler } from "./node-http.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await close(server);
});

/** The request span's attributes for one GET with `headers`, and the port the server listens on. */
async function attributesFor(headers: OutgoingHttpHeaders): Promise<{ attributes: Attributes; port: number }> {
  const { tracer, sink } = memoryTracer({ serviceName: "proxied" });
  const server = createServer(traceHttpHandler(tracer, (_request, response) => response.end("ok")));
  servers.push(server);
  const url = new URL(await listen(server));
  await new Promise<void>((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, path: "/orders", headers }, (response) => {
      response.resume();
      response.on("end", resolve);
    });
    request.on("error", reject);
    request.end();
  });
  const start = await eventually(() => {
    const [first] = sink.ofType("startSpan");
    expect(first).toBeDefined();
    return first!;
  });
  return { attributes: start.attributes ?? {}, port: Number(url.port) };
}

describe("a request span behind a reverse proxy", () => {
  it("takes host, port, scheme and client from the first element of Forwarded", async () => {
    const { attributes } = await attributesFor({
      host: "backend:3000",
      forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https;host="shop.example:8443", for=10.0.0.2',
      "x-forwarded-host": "ignored.example",
    });
    expect(attributes).toMatchObject({ "server.address": "shop.example", "server.port": 8443, "url.scheme": "https", "client.address": "2001:db8:cafe::17" });
  });

  it("takes them from X-Forwarded-Host, -Proto and -For when there is no Forwarded, each one's first entry", async () => {
    const { attributes } = await attributesFor({
      host: "backend:3000",
      "x-forwarded-host": "shop.example, edge.internal",
      "x-forwarded-proto": "HTTPS, http",
      "x-forwarded-for": "203.0.113.9, 10.0.0.2",
    });
    expect(attributes).toMatchObject({ "server.address": "shop.example", "server.port": 443, "url.scheme": "https", "client.address": "203.0.113.9" });
  });

  it("without a proxy's headers: Host, the connection's scheme, the peer; a Host without a port is at port 80", async () => {
    const direct = await attributesFor({});
    expect(direct.attributes).toMatchObject({ "server.address": "127.0.0.1", "server.port": direct.port, "url.scheme": "http", "client.address": "127.0.0.1" });
    const { attributes } = await attributesFor({ host: "shop.example" });
    expect(attributes).toMatchObject({ "server.address": "shop.example", "server.port": 80 });
  });

  it("a Forwarded header that does not parse is left out, not half read", async () => {
    const { attributes } = await attributesFor({ host: "backend:3000", forwarded: "for=1.2.3.4;for=5.6.7.8", "x-forwarded-proto": "https" });
    expect(attributes).toMatchObject({ "server.address": "backend", "server.port": 3000, "url.scheme": "https", "client.address": "127.0.0.1" });
  });
});
