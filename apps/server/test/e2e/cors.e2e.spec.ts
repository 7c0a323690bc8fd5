// CORS on the HTTP port (TRACELEDGER_CORS_ALLOWED_ORIGINS): a page from an
// allowed origin may call the Connect and gRPC-Web procedures and post OTLP to
// /v1/traces, as a browser checks it (the preflight, then the answer's
// Access-Control-* headers); other origins get no CORS headers, so the browser
// refuses them; without the setting no origin is allowed. fetch in Node sends
// what a browser would and enforces nothing, so the headers are checked here.

import { describe, expect, it } from "vitest";
import { newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";

const APP = "http://app.test:3000";
const open = serverPerFile({ TRACELEDGER_CORS_ALLOWED_ORIGINS: `https://other.test, ${APP}` });
const closed = serverPerFile();

const START_TRACE = "/traceledger.v1.TracingService/StartTrace";

function preflight(address: string, path: string, origin: string, headers = "content-type,connect-protocol-version,traceparent") {
  return fetch(`http://${address}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
  });
}

function startTrace(address: string, origin: string) {
  return fetch(`http://${address}${START_TRACE}`, {
    method: "POST",
    headers: { origin, "content-type": "application/json", "connect-protocol-version": "1" },
    body: JSON.stringify({ name: "from a page", serviceName: "web" }),
  });
}

describe("an allowed origin", () => {
  it("passes the preflight of a procedure, with the headers it asked for", async () => {
    const response = await preflight(open.server.httpAddress, START_TRACE, APP);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")).toBe("content-type,connect-protocol-version,traceparent");
    expect(Number(response.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("reads the answer of a call, and the headers a gRPC-Web client needs", async () => {
    const response = await startTrace(open.server.httpAddress, APP);
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("vary")).toContain("Origin");
    const exposed = response.headers.get("access-control-expose-headers")!.toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(["grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id", "retry-after"]));
    expect(((await response.json()) as { traceVersion: string }).traceVersion).toBe("2");

    const grpcWeb = await fetch(`http://${open.server.httpAddress}${START_TRACE}`, {
      method: "POST",
      headers: { origin: APP, "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: new Uint8Array([0, 0, 0, 0, 0]),
    });
    expect(grpcWeb.headers.get("access-control-allow-origin")).toBe(APP);
    // An empty StartTrace is refused (no name); gRPC-Web carries the status in a trailer frame.
    expect(grpcWeb.status).toBe(200);
    expect(Buffer.from(await grpcWeb.arrayBuffer()).toString("latin1")).toContain("grpc-status: 3");
  });

  it("may post OTLP to /v1/traces, as OpenTelemetry's browser exporter does", async () => {
    const pre = await preflight(open.server.httpAddress, "/v1/traces", APP, "content-type");
    expect([pre.status, pre.headers.get("access-control-allow-origin")]).toEqual([204, APP]);
    const traceId = Buffer.from(newTraceId()).toString("hex");
    const body = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: "00f067aa0ba902b7", name: "click", kind: 1, startTimeUnixNano: "1764000000000000000", endTimeUnixNano: "1764000000001000000" }] }] }],
    };
    const response = await fetch(`http://${open.server.httpAddress}/v1/traces`, {
      method: "POST",
      headers: { origin: APP, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect([response.status, response.headers.get("access-control-allow-origin")]).toEqual([200, APP]);
  });
});

describe("an origin not allowed", () => {
  it("gets no CORS headers, so a browser keeps the page from the answer", async () => {
    const pre = await preflight(open.server.httpAddress, START_TRACE, "http://evil.test");
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const response = await startTrace(open.server.httpAddress, "http://evil.test");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("is every origin when the setting is unset", async () => {
    const pre = await preflight(closed.server.httpAddress, START_TRACE, APP);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const response = await startTrace(closed.server.httpAddress, APP);
    expect([response.status, response.headers.get("access-control-allow-origin")]).toEqual([200, null]);
  });
});
