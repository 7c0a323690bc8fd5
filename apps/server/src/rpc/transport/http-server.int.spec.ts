// The HTTP/1.1 door: Connect JSON as curl or fetch sends it, Connect binary
// and gRPC-Web through connect-es, and the plain routes beside them.
import { fromBinary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { TracingService } from "@traceledger/proto";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hexToBytes } from "../../domain/trace/w3c-ids.js";
import { createHttpServer, type HttpServer } from "./http-server.js";
import { sendJson } from "./plain-routes.js";
import { probeRoutes, type Readiness } from "./probe-routes.js";
import { serviceRegistration } from "./service-registration.js";
import { CallLog } from "./testing/call-log.js";
import { rejection } from "./testing/rejection.js";
import { testTracingService } from "./testing/test-tracing-service.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const traceId = hexToBytes(TRACE_ID);
const spanId = hexToBytes(SPAN_ID);
const ids = { traceId: Buffer.from(traceId).toString("base64"), spanId: Buffer.from(spanId).toString("base64") };

const internalErrors: unknown[] = [];
const calls = new CallLog();
let readiness: () => Readiness = () => ({ ready: true });
let server: HttpServer;
let baseUrl: string;

beforeAll(async () => {
  server = await createHttpServer({
    host: "127.0.0.1",
    port: 0,
    services: [serviceRegistration(TracingService, testTracingService(calls))],
    routes: [
      ...probeRoutes(() => readiness()),
      // A route added by the app, as /metrics or POST /v1/traces will be.
      {
        method: "POST",
        path: "/v1/echo",
        handle: async (request, response) => {
          let body = "";
          for await (const chunk of request) body += String(chunk);
          sendJson(response, 200, { received: body });
        },
      },
    ],
    maxReceiveMessageBytes: 64 * 1024,
    onInternalError: (error) => internalErrors.push(error),
  });
  baseUrl = `http://${server.address}`;
});

afterAll(async () => {
  await server.close(0);
});

beforeEach(() => {
  internalErrors.length = 0;
  calls.clear();
  readiness = () => ({ ready: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function postJson(path: string, body: string, contentType = "application/json"): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { method: "POST", headers: { "content-type": contentType }, body });
}

describe("Connect JSON, as curl sends it", () => {
  it("answers a unary call", async () => {
    const response = await postJson("/traceledger.v1.TracingService/StartSpan", JSON.stringify({ ...ids, name: "GET /" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toMatchObject({ ...ids, traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, traceVersion: "1", traceStarted: true });
  });

  it("answers an error with its code, message and ErrorInfo in the details", async () => {
    const response = await postJson("/traceledger.v1.TracingService/EndSpan", JSON.stringify(ids));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; message: string; details: { type: string; value: string; debug: unknown }[] };
    expect(body).toMatchObject({ code: "failed_precondition", message: `span ${SPAN_ID} has already ended` });
    expect(body.details.map((d) => d.type)).toEqual(["google.rpc.ErrorInfo"]);
    const info = fromBinary(ErrorInfoSchema, base64Decode(body.details[0]!.value));
    expect(info).toMatchObject({ reason: "SPAN_ALREADY_ENDED", domain: "traceledger.dev", metadata: { span_id: SPAN_ID } });
    // Readable without decoding, for a human with curl.
    expect(body.details[0]?.debug).toEqual({ reason: "SPAN_ALREADY_ENDED", domain: "traceledger.dev", metadata: { span_id: SPAN_ID } });
  });

  it("answers malformed JSON with 400 invalid_argument", async () => {
    const response = await postJson("/traceledger.v1.TracingService/StartSpan", "{ not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_argument" });
  });

  it("answers an unsupported content type with 415", async () => {
    const response = await postJson("/traceledger.v1.TracingService/StartSpan", "{}", "text/plain");
    expect(response.status).toBe(415);
  });

  it("answers an unexpected error with a bare internal error and logs it", async () => {
    const response = await postJson("/traceledger.v1.TracingService/RecordError", JSON.stringify(ids));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ code: "internal", message: "internal error" });
    expect(text).not.toContain("s3cret");
    expect(internalErrors).toHaveLength(1);
  });

  it("answers a request larger than the configured limit with resource_exhausted", async () => {
    const response = await postJson("/traceledger.v1.TracingService/StartSpan", JSON.stringify({ ...ids, name: "x".repeat(65 * 1024) }));
    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({ code: "resource_exhausted" });
  });

  it("answers a method the implementation leaves out with unimplemented", async () => {
    const response = await postJson("/traceledger.v1.TracingService/IngestBatch", "{}");
    expect(response.status).toBe(501);
    expect(await response.json()).toMatchObject({ code: "unimplemented" });
  });
});

describe("connect-es clients over HTTP/1.1", () => {
  it("Connect binary: answers a unary call", async () => {
    const client = createClient(TracingService, createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }));
    expect((await client.startSpan({ traceId, spanId })).traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
  });

  it("gRPC-Web: answers a unary call, an error with ErrorInfo, and a stream", async () => {
    const client = createClient(TracingService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }));
    expect((await client.startSpan({ traceId, spanId })).traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);

    const error = await rejection(client.endSpan({ traceId, spanId }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.findDetails(ErrorInfoSchema)).toEqual([expect.objectContaining({ reason: "SPAN_ALREADY_ENDED", domain: "traceledger.dev" })]);

    const versions: bigint[] = [];
    for await (const message of client.watchTrace({ afterVersion: 3n })) versions.push(message.event?.streamVersion ?? -1n);
    expect(versions).toEqual([1n, 2n, 3n]);
  });
});

describe("plain routes", () => {
  it("/healthz answers 200 while the process runs, to GET and HEAD", async () => {
    const response = await fetch(`${baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect((await fetch(`${baseUrl}/healthz`, { method: "HEAD" })).status).toBe(200);
  });

  it("/readyz answers 200 or 503 with a JSON body, as the readiness check says", async () => {
    const ready = await fetch(`${baseUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready" }]);
    readiness = () => ({ ready: false, reason: "event store unreachable" });
    const notReady = await fetch(`${baseUrl}/readyz`);
    expect([notReady.status, await notReady.json()]).toEqual([503, { status: "not_ready", reason: "event store unreachable" }]);
  });

  it("/readyz answers 503 when the readiness check throws, and logs the error", async () => {
    readiness = () => {
      throw new Error("pool exhausted");
    };
    const response = await fetch(`${baseUrl}/readyz`);
    expect([response.status, await response.json()]).toEqual([503, { status: "not_ready", reason: "the readiness check failed" }]);
    expect(internalErrors).toEqual([expect.objectContaining({ message: "pool exhausted" })]);
  });

  it("serves a route the app added, and answers 405 and 404 around it", async () => {
    const echoed = await postJson("/v1/echo?x=1", "hello");
    expect([echoed.status, await echoed.json()]).toEqual([200, { received: "hello" }]);
    const wrongMethod = await fetch(`${baseUrl}/v1/echo`);
    expect([wrongMethod.status, wrongMethod.headers.get("allow")]).toEqual([405, "POST"]);
    await wrongMethod.body?.cancel();
    const unknown = await fetch(`${baseUrl}/nowhere`);
    expect(unknown.status).toBe(404);
    await unknown.body?.cancel();
  });
});

describe("requests that never finish arriving", () => {
  it("are answered 408 and their connection closed once the request timeout passes", async () => {
    const slow = await createHttpServer({
      host: "127.0.0.1",
      port: 0,
      services: [serviceRegistration(TracingService, testTracingService(new CallLog()))],
      routes: [],
      requestTimeouts: { headersMs: 300, requestMs: 600 },
    });
    try {
      const [host, port] = [slow.address.split(":")[0]!, slow.port];
      const { connect } = await import("node:net");
      const socket = connect(port, host);
      // A procedure's body, of which only the start ever comes: connect waits to read it whole.
      socket.write(`POST /traceledger.v1.TracingService/StartTrace HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`);
      const answer = await new Promise<string>((resolve) => {
        let text = "";
        socket.on("data", (chunk) => (text += String(chunk)));
        socket.on("close", () => resolve(text));
      });
      expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
    } finally {
      await slow.close(0);
    }
  });
});

/** A Connect JSON request's bytes as a raw socket sends them: a stream's request is one enveloped message. */
function rawConnectRequest(path: string, message: unknown, headers: Record<string, string> = {}, httpVersion = "1.1"): string {
  const json = JSON.stringify(message);
  const envelope = Buffer.alloc(5 + Buffer.byteLength(json));
  envelope.writeUInt32BE(Buffer.byteLength(json), 1);
  envelope.write(json, 5);
  const head = Object.entries({ "content-type": "application/connect+json", "content-length": String(envelope.length), ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  return `POST ${path} HTTP/${httpVersion}\r\n${head.join("")}\r\n${envelope.toString("latin1")}`;
}

/** Everything the server writes outside the logger the app hands it. */
function watchConsole() {
  const stderr = vi.spyOn(process.stderr, "write");
  const consoleError = vi.spyOn(console, "error").mockImplementation(() => undefined);
  return { written: () => [...stderr.mock.calls.map((call) => String(call[0])), ...consoleError.mock.calls.map((call) => call.map(String).join(" "))] };
}

/** `promise`, or a failure naming what never happened after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms).unref())]);
}

describe("a client that hangs up while its stream waits for the socket to drain", () => {
  it("ends the stream (its implementation's finally runs), with nothing on stderr and nothing reported", async () => {
    const output = watchConsole();
    const host = server.address.split(":")[0]!;
    // A watch of back-to-back 16 KiB messages fills the socket at once: the answer is waiting
    // for it to drain when the client goes, closed or reset.
    const request = rawConnectRequest("/traceledger.v1.TracingService/WatchTrace", { traceId: ids.traceId }, { host });
    for (let round = 0; round < 10; round++) {
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, host, () => socket.write(request, "latin1"));
        socket.once("data", () => {
          if (round % 2 === 0) socket.destroy();
          else socket.resetAndDestroy();
          resolve();
        });
        socket.on("error", () => resolve());
      });
      await within(5_000, `round ${round}: the watch's finally`, calls.next("watchTrace.finally"));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(output.written()).toEqual([]);
    expect(internalErrors).toEqual([]);
  });
});

describe("a failure of the server's that no interceptor sees", () => {
  it("is reported once, with its procedure and request id, and the client gets a bare internal error", async () => {
    const reported: unknown[][] = [];
    const output = watchConsole();
    const broken = await createHttpServer({
      host: "127.0.0.1",
      port: 0,
      services: [
        serviceRegistration(TracingService, {
          // A header value fetch's Headers accepts and node:http refuses: the answer fails as it is written.
          startSpan(_request, context) {
            context.responseHeader.set("x-request-id", context.requestHeader.get("x-request-id") ?? "");
            context.responseHeader.set("x-broken", "a\u0001b");
            return {};
          },
        }),
      ],
      routes: [],
      onInternalError: (...args) => reported.push(args),
    });
    try {
      const response = await fetch(`http://${broken.address}/traceledger.v1.TracingService/StartSpan`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "broken-header-call" },
        body: JSON.stringify(ids),
        signal: AbortSignal.timeout(5_000),
      });
      expect([response.status, await response.json()]).toEqual([500, { code: "internal", message: "internal error" }]);
      expect(reported).toEqual([[expect.objectContaining({ code: "ERR_INVALID_CHAR" }), "traceledger.v1.TracingService/StartSpan", "broken-header-call"]]);
      expect(output.written()).toEqual([]);
    } finally {
      await broken.close(0);
    }
  });
});

describe("compression, as connect-node's adapter offered it", () => {
  it("compresses a Connect stream's messages for a client that accepts gzip", async () => {
    const json = JSON.stringify({ traceId: ids.traceId, afterVersion: "1" });
    const envelope = Buffer.alloc(5 + json.length);
    envelope.writeUInt32BE(json.length, 1);
    envelope.write(json, 5);
    const response = await fetch(`${baseUrl}/traceledger.v1.TracingService/WatchTrace`, {
      method: "POST",
      headers: { "content-type": "application/connect+json", "connect-accept-encoding": "gzip" },
      body: envelope,
    });
    expect(response.headers.get("connect-content-encoding")).toBe("gzip");
    await response.body?.cancel();
  });
});

describe("a call whose Host header is missing or names no host", () => {
  function send(request: string): Promise<string> {
    return new Promise<string>((resolve) => {
      const socket = connect(server.port, "127.0.0.1", () => socket.write(request, "latin1"));
      let text = "";
      socket.on("data", (chunk) => (text += String(chunk)));
      socket.on("close", () => resolve(text));
    });
  }

  it("is answered 400 invalid_argument, nothing is reported, and the server serves on", async () => {
    const output = watchConsole();
    // HTTP/1.0 needs no Host header (node:http refuses an HTTP/1.1 request without one).
    const answers = [
      await send(rawConnectRequest("/traceledger.v1.TracingService/StartSpan", ids, {}, "1.0")),
      await send(rawConnectRequest("/traceledger.v1.TracingService/StartSpan", ids, { host: "[", connection: "close" })),
    ];
    for (const answer of answers) {
      expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
      expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({ code: "invalid_argument" });
    }
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect(internalErrors).toEqual([]);
    expect(output.written()).toEqual([]);
  });
});
