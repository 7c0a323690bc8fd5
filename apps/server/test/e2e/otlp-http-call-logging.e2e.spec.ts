// OTLP/HTTP exports are calls like the RPCs (docs/operations.md: "`debug` logs every
// call with its request id", and answers expose x-request-id): every answer, whatever
// its status, carries the caller's x-request-id (or a new one), and one log line names
// it, at the RPC doors' levels: debug for a success, info for the client's mistake,
// error for the server's own failure.

import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema, type OtlpSpanSchema } from "@traceledger/proto/otlp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/server-config.js";
import { createLogger } from "../../src/log/logger.js";
import { startTraceledger, type Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { holdEventWrites } from "./support/held-event-writes.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverEnv } from "./support/in-process-server.js";
import { until } from "./support/wait.js";

const MAX_BYTES = 64 * 1024;
const T0 = 1_764_000_000_000_000_000n;

type LogLine = Record<string, unknown> & { level: string; msg: string };

let db: TestDatabase;
let server: Traceledger;
const lines: LogLine[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // One pending span at most: a second export while the first waits on the store gets 503.
  const config = loadConfig(serverEnv(db.url, { TRACELEDGER_LOG_LEVEL: "debug", TRACELEDGER_MAX_MESSAGE_BYTES: String(MAX_BYTES), TRACELEDGER_OTLP_MAX_PENDING_SPANS: "1" }));
  server = await startTraceledger(config, createLogger("debug", {}, (line) => lines.push(JSON.parse(line) as LogLine)));
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

function span(fields: MessageInitShape<typeof OtlpSpanSchema> = {}): MessageInitShape<typeof OtlpSpanSchema> {
  return { traceId: newTraceId(), spanId: newSpanId(), name: "op", kind: 2, startTimeUnixNano: T0, endTimeUnixNano: T0 + 1_000n, ...fields };
}

function exportBody(spans = [span()]): Uint8Array {
  return toBinary(ExportTraceServiceRequestSchema, create(ExportTraceServiceRequestSchema, { resourceSpans: [{ scopeSpans: [{ spans }] }] }));
}

function post(body: Uint8Array | string, headers: Record<string, string>, method = "POST") {
  return fetch(`http://${server.httpAddress}/v1/traces`, { method, headers, body: method === "GET" ? undefined : body });
}

/** The log lines naming a request id. */
function linesOf(requestId: string): LogLine[] {
  return lines.filter((line) => line.request_id === requestId);
}

describe("OTLP/HTTP exports are logged with their request id, which every answer echoes", () => {
  it("a success: debug, with the status; the caller's x-request-id echoed", async () => {
    const response = await post(exportBody(), { "content-type": "application/x-protobuf", "x-request-id": "otlp-http-ok" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("otlp-http-ok");
    expect(linesOf("otlp-http-ok")).toEqual([
      { time: expect.any(String), level: "debug", msg: "call", procedure: "POST /v1/traces", request_id: "otlp-http-ok", status: 200, ms: expect.any(Number) },
    ]);
  });

  it("a partial success: the rejected span count in the line", async () => {
    const traceId = newTraceId();
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: Buffer.from(traceId).toString("hex"), spanId: Buffer.from(newSpanId()).toString("hex"), name: "good", startTimeUnixNano: String(T0), endTimeUnixNano: String(T0 + 1n) },
                { traceId: Buffer.from(traceId).toString("hex"), spanId: Buffer.from(newSpanId()).toString("hex"), name: "backwards", startTimeUnixNano: String(T0), endTimeUnixNano: String(T0 - 1n) },
              ],
            },
          ],
        },
      ],
    });
    const response = await post(body, { "content-type": "application/json", "x-request-id": "otlp-http-partial" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("otlp-http-partial");
    expect(linesOf("otlp-http-partial")).toMatchObject([{ level: "debug", msg: "call", status: 200, rejected_spans: 1 }]);
  });

  const protobuf = { "content-type": "application/x-protobuf" };
  it.each([
    { name: "another content type", status: 415, reason: "UNSUPPORTED_MEDIA_TYPE", headers: { "content-type": "text/plain" }, body: "x" },
    { name: "another content encoding", status: 415, reason: "UNSUPPORTED_CONTENT_ENCODING", headers: { ...protobuf, "content-encoding": "br" }, body: exportBody() },
    { name: "a body that does not decode", status: 400, reason: "MALFORMED_OTLP", headers: protobuf, body: new Uint8Array([0xff, 0xff]) },
    { name: "a body over the limit", status: 413, reason: "REQUEST_TOO_LARGE", headers: protobuf, body: new Uint8Array(MAX_BYTES + 1) },
    { name: "another method", status: 405, reason: "METHOD_NOT_ALLOWED", headers: protobuf, body: "", method: "GET" },
  ])("the client's mistake ($name, $status): info, with the status and reason; the id echoed", async ({ status, reason, headers, body, method }) => {
    const requestId = `otlp-http-${status}-${reason}`;
    const response = await post(body, { ...headers, "x-request-id": requestId }, method);
    expect(response.status).toBe(status);
    expect(response.headers.get("x-request-id")).toBe(requestId);
    expect(linesOf(requestId)).toEqual([
      expect.objectContaining({ level: "info", msg: "call rejected", procedure: `${method ?? "POST"} /v1/traces`, status, code: expect.any(String), reason, message: expect.any(String), ms: expect.any(Number) }),
    ]);
  });

  it("a store too busy (503): error, as UNAVAILABLE is on the RPC doors; the id echoed", async () => {
    const held = await holdEventWrites(db.client(2));
    try {
      const first = post(exportBody(), { "content-type": "application/x-protobuf", "x-request-id": "otlp-http-waits" });
      await held.appendWaiting();
      const refused = await post(exportBody(), { "content-type": "application/x-protobuf", "x-request-id": "otlp-http-503" });
      expect([refused.status, refused.headers.get("retry-after"), refused.headers.get("x-request-id")]).toEqual([503, "1", "otlp-http-503"]);
      expect(linesOf("otlp-http-503")).toEqual([
        expect.objectContaining({ level: "error", msg: "call failed", status: 503, code: "Unavailable", reason: "INGEST_OVERLOADED" }),
      ]);
      await held.release();
      expect((await first).status).toBe(200);
    } finally {
      await held.release();
    }
  });

  it("an RPC the server fails (UNAVAILABLE): error, 'call failed', with its request id", async () => {
    const held = await holdEventWrites(db.client(2));
    try {
      const first = post(exportBody(), { "content-type": "application/x-protobuf", "x-request-id": "otlp-http-waits-rpc" });
      await held.appendWaiting();
      // The same refusal (INGEST_OVERLOADED) through the OTLP RPC on this port, over Connect.
      const refused = await fetch(`http://${server.httpAddress}/opentelemetry.proto.collector.trace.v1.TraceService/Export`, {
        method: "POST",
        headers: { "content-type": "application/proto", "x-request-id": "connect-unavailable" },
        body: exportBody(),
      });
      expect([refused.status, refused.headers.get("x-request-id")]).toEqual([503, "connect-unavailable"]);
      await until(2_000, "the call's log line", () => (linesOf("connect-unavailable").length > 0 ? true : undefined));
      expect(linesOf("connect-unavailable")).toEqual([
        expect.objectContaining({ level: "error", msg: "call failed", procedure: "/opentelemetry.proto.collector.trace.v1.TraceService/Export", code: "Unavailable" }),
      ]);
      await held.release();
      expect((await first).status).toBe(200);
    } finally {
      await held.release();
    }
  });

  it("an RPC with an invalid command (INVALID_ARGUMENT): info, 'call rejected', with its request id", async () => {
    const response = await fetch(`http://${server.httpAddress}/traceledger.v1.TracingService/StartSpan`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "connect-invalid" },
      // A trace id of 3 bytes, not 16.
      body: JSON.stringify({ traceId: "AAAA", name: "op", serviceName: "svc" }),
    });
    expect([response.status, response.headers.get("x-request-id")]).toEqual([400, "connect-invalid"]);
    await until(2_000, "the call's log line", () => (linesOf("connect-invalid").length > 0 ? true : undefined));
    expect(linesOf("connect-invalid")).toEqual([
      expect.objectContaining({ level: "info", msg: "call rejected", procedure: "/traceledger.v1.TracingService/StartSpan", code: "InvalidArgument" }),
    ]);
  });

  it("without an x-request-id: a new one, in the answer and the line", async () => {
    const response = await post(exportBody(), { "content-type": "application/x-protobuf" });
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(linesOf(requestId!)).toMatchObject([{ msg: "call", procedure: "POST /v1/traces", status: 200 }]);
  });

  it("RPCs on the same port are logged as before", async () => {
    const response = await fetch(`http://${server.httpAddress}/traceledger.v1.TracingService/ListTraces`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "connect-call" },
      body: "{}",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("connect-call");
    await until(2_000, "the call's log line", () => (linesOf("connect-call").length > 0 ? true : undefined));
    expect(linesOf("connect-call")).toEqual([
      { time: expect.any(String), level: "debug", msg: "call", procedure: "/traceledger.v1.TracingService/ListTraces", request_id: "connect-call", ms: expect.any(Number) },
    ]);
  });
});
