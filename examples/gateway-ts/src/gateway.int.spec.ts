// The gateway against the real traceledger server (in-process, its own
// database), with a plain node:http server as the next service: what the
// gateway forwards, what it answers, and the span it leaves in traceledger.

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { SpanKind, SpanState, StatusCode, type Trace } from "@traceledger/proto";
import { createTracer, createTracingClient, parseTraceparent, type Tracer, type TracingClient } from "@traceledger/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import type {} from "../../../apps/server/test/support/postgres-global-setup.js";
import { createPostgresClient, ensureDatabase, escapeIdentifier } from "../../../apps/server/src/database/open-database.js";
import { randomDatabaseName } from "../../../apps/server/src/database/embedded-database.js";
import { loadConfig } from "../../../apps/server/src/config/server-config.js";
import { createLogger } from "../../../apps/server/src/log/logger.js";
import { startTraceledger, type Traceledger } from "../../../apps/server/src/server/start-traceledger.js";
import { gatewayHandler } from "./gateway.js";

const adminUrl = () => inject("postgresAdminUrl");
const databaseName = randomDatabaseName("tl_gateway");
let server: Traceledger;
let reader: TracingClient;
let tracer: Tracer;
let gateway: Server;
let next: Server;
let gatewayUrl: string;
let nextStatus = 200;
let nextHeaders: IncomingHttpHeaders = {};
let nextQuery = "";

beforeAll(async () => {
  await ensureDatabase(adminUrl(), databaseName);
  const url = new URL(adminUrl());
  url.pathname = `/${databaseName}`;
  const config = loadConfig({ DATABASE_URL: url.toString(), TRACELEDGER_HOST: "127.0.0.1", TRACELEDGER_GRPC_PORT: "0", TRACELEDGER_HTTP_PORT: "0", TRACELEDGER_SHUTDOWN_GRACE_MS: "1000" });
  server = await startTraceledger(config, createLogger("error"));
  reader = createTracingClient({ url: `http://${server.grpcAddress}` });
  tracer = createTracer({ serviceName: "gateway-ts", url: `http://${server.grpcAddress}`, env: {} });

  next = createServer((request, response) => {
    nextHeaders = request.headers;
    nextQuery = new URL(request.url ?? "/", "http://next").search;
    response.writeHead(nextStatus, { "content-type": "application/json" });
    response.end(JSON.stringify({ service: "next" }));
  });
  gateway = createServer(gatewayHandler({ tracer, serviceName: "gateway-ts", nextUrl: `${await listen(next)}/` }));
  gatewayUrl = await listen(gateway);
});

afterAll(async () => {
  await close(gateway);
  await close(next);
  await tracer?.shutdown();
  reader?.close();
  await server?.stop();
  const admin = createPostgresClient(adminUrl(), { max: 1 });
  await admin.unsafe(`drop database if exists ${escapeIdentifier(databaseName)} with (force)`).finally(() => admin.end({ timeout: 5 }));
});

describe("GET /work", () => {
  it("starts a root span, calls the next service as its child and ends OK", async () => {
    nextStatus = 200;
    const response = await fetch(`${gatewayUrl}/work`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { service: string; traceparent: string; downstream: unknown };
    expect(body).toMatchObject({ service: "gateway-ts", downstream: { service: "next" } });
    expect(nextHeaders["traceparent"]).toBe(body.traceparent);
    expect(nextQuery).toBe("?fail=");

    const trace = await endedTrace(body.traceparent);
    expect(trace.spans).toHaveLength(1);
    const [span] = trace.spans;
    expect(span).toMatchObject({ name: "GET /work", kind: SpanKind.SERVER, serviceName: "gateway-ts", parentSpanId: new Uint8Array(0) });
    expect(span!.status?.code).toBe(StatusCode.OK);
    expect(span!.events.map((e) => e.name)).toEqual(["work.started"]);
  });

  it("continues the caller's traceparent and passes tracestate on", async () => {
    nextStatus = 200;
    const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const response = await fetch(`${gatewayUrl}/work`, { headers: { traceparent: caller, tracestate: "vendor=abc" } });
    const body = (await response.json()) as { traceparent: string };
    expect(body.traceparent.slice(0, 36)).toBe(caller.slice(0, 36));
    expect(nextHeaders["tracestate"]).toBe("vendor=abc");
    const trace = await endedTrace(body.traceparent);
    expect(hex(trace.spans[0]!.parentSpanId)).toBe("00f067aa0ba902b7");
  });

  it("answers 502 and ends ERROR when the next service fails", async () => {
    nextStatus = 500;
    const response = await fetch(`${gatewayUrl}/work?fail=service-go`);
    expect(response.status).toBe(502);
    expect(nextQuery).toBe("?fail=service-go");
    const trace = await endedTrace(String(nextHeaders["traceparent"]));
    expect(trace.spans[0]!.status?.code).toBe(StatusCode.ERROR);
    expect(trace.spans[0]!.errors).toEqual([]);
  });

  it("records an error and answers 500 when asked to fail", async () => {
    nextStatus = 200;
    const response = await fetch(`${gatewayUrl}/work?fail=gateway-ts`);
    expect(response.status).toBe(500);
    const trace = await endedTrace(String(nextHeaders["traceparent"]));
    const [span] = trace.spans;
    expect(span!.status?.code).toBe(StatusCode.ERROR);
    expect(span!.errors.map((e) => [e.errorType, e.message])).toEqual([["WorkFailed", "gateway-ts was asked to fail"]]);
  });
});

/** The trace of `traceparent`'s span, once that span has ended. */
async function endedTrace(traceparent: string): Promise<Trace> {
  const parsed = parseTraceparent(traceparent);
  if (!parsed.ok) throw new Error(`bad traceparent ${traceparent}`);
  for (let attempt = 0; ; attempt++) {
    await tracer.forceFlush();
    try {
      const { trace } = await reader.getTrace({ traceId: Buffer.from(parsed.value.traceId, "hex") });
      if (trace?.spans.every((s) => s.state === SpanState.ENDED)) return trace;
    } catch (error) {
      if (ConnectError.from(error).code !== Code.NotFound) throw error;
    }
    if (attempt > 200) throw new Error(`the trace of ${traceparent} did not end`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

async function listen(http: Server): Promise<string> {
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

async function close(http: Server | undefined): Promise<void> {
  if (!http?.listening) return;
  const closed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeAllConnections();
  await closed;
}
