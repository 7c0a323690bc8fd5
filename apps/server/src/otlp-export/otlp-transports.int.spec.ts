// Both transports against real local receivers: how each answer of a collector
// (or its absence) is classified, and what goes over the wire.

import { create, toBinary } from "@bufbuild/protobuf";
import { status as GrpcCode } from "@grpc/grpc-js";
import { spawn } from "node:child_process";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { gunzipSync } from "node:zlib";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpRelay, type TcpRelay } from "../../test/support/tcp-relay.js";
import { startOtlpGrpcReceiver, startOtlpHttpReceiver, type OtlpReceiver, type ReceiverAnswer } from "../../test/e2e/support/otlp-receiver.js";
import type { OtlpCompression } from "./otlp-compression.js";
import { OtlpGrpcTransport } from "./otlp-grpc-transport.js";
import { parseOtlpHeaders } from "./otlp-headers.js";
import { OtlpHttpTransport } from "./otlp-http-transport.js";
import type { ExportOutcome, OtlpTransport } from "./otlp-transport.js";

const BODY = toBinary(
  ExportTraceServiceRequestSchema,
  create(ExportTraceServiceRequestSchema, {
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), name: "s" }] }] }],
  }),
);

/** Spans alike but for their ids, as a busy service's are: gzip makes a fraction of it. */
const LARGE_BODY = toBinary(
  ExportTraceServiceRequestSchema,
  create(ExportTraceServiceRequestSchema, {
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: Array.from({ length: 2000 }, (_, i) => ({
              traceId: new Uint8Array(16).fill(i % 251),
              spanId: new Uint8Array(8).fill(i % 241),
              name: "GET /api/orders/{id}",
              attributes: [{ key: "http.route", value: { value: { case: "stringValue" as const, value: "/api/orders/{id}" } } }],
            })),
          },
        ],
      },
    ],
  }),
);

/** A port with nothing listening: bound, then closed. */
async function closedPort(): Promise<number> {
  const server: TcpServer = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function answerWith(receiver: OtlpReceiver, transport: OtlpTransport, answer: ReceiverAnswer): Promise<ExportOutcome> {
  receiver.answer = () => answer;
  return transport.export(BODY);
}

describe("OtlpHttpTransport", () => {
  let receiver: OtlpReceiver;
  let transport: OtlpHttpTransport;
  beforeAll(async () => {
    receiver = await startOtlpHttpReceiver();
    transport = new OtlpHttpTransport({ url: receiver.url, headers: { "x-api-key": "k1" }, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await transport.close();
    await receiver.close();
  });

  it("posts the bytes as application/x-protobuf with the configured headers", async () => {
    expect(await answerWith(receiver, transport, { kind: "accept" })).toEqual({ kind: "accepted", rejectedSpans: 0, message: "" });
    const last = receiver.requests.at(-1)!;
    expect(Buffer.from(last.body).equals(Buffer.from(BODY))).toBe(true);
    expect(last.headers).toMatchObject({ "content-type": "application/x-protobuf", "x-api-key": "k1", "user-agent": "traceledger-otlp-exporter" });
  });

  it("keeps its own content-type when the configured headers name one in other letter case", async () => {
    const mixed = new OtlpHttpTransport({ url: receiver.url, headers: parseOtlpHeaders("Content-Type=text/plain,X-Api-Key=k2"), timeoutMs: 2000 });
    expect(await answerWith(receiver, mixed, { kind: "accept" })).toMatchObject({ kind: "accepted" });
    expect(receiver.requests.at(-1)!.headers).toMatchObject({ "content-type": "application/x-protobuf", "x-api-key": "k2" });
  });

  it("gzips the body when asked, says so in Content-Encoding (over a configured one), and the collector reads the same protobuf", async () => {
    const gzipping = new OtlpHttpTransport({ url: receiver.url, headers: parseOtlpHeaders("Content-Encoding=br,X-Api-Key=k3"), timeoutMs: 2000, compression: "gzip" });
    receiver.answer = () => ({ kind: "accept" });
    expect(await gzipping.export(LARGE_BODY)).toEqual({ kind: "accepted", rejectedSpans: 0, message: "" });
    const last = receiver.requests.at(-1)!;
    expect(last.headers).toMatchObject({ "content-encoding": "gzip", "content-type": "application/x-protobuf", "x-api-key": "k3" });
    expect(gunzipSync(last.wire).equals(Buffer.from(LARGE_BODY))).toBe(true);
    expect(last.wire.length).toBeLessThan(LARGE_BODY.length / 4);
  });

  it("sends the body as it is without compression, and no configured Content-Encoding that would misdescribe it", async () => {
    const plain = new OtlpHttpTransport({ url: receiver.url, headers: parseOtlpHeaders("Content-Encoding=gzip"), timeoutMs: 2000, compression: "none" });
    expect(await answerWith(receiver, plain, { kind: "accept" })).toMatchObject({ kind: "accepted" });
    const last = receiver.requests.at(-1)!;
    expect(last.headers["content-encoding"]).toBeUndefined();
    expect(Buffer.from(last.wire).equals(Buffer.from(BODY))).toBe(true);
  });

  it("reads a partial success, whichever protobuf media type the collector names", async () => {
    expect(await answerWith(receiver, transport, { kind: "accept", rejectedSpans: 1, errorMessage: "too old" })).toEqual({ kind: "accepted", rejectedSpans: 1, message: "too old" });
    for (const contentType of ["application/protobuf", "Application/X-Protobuf; charset=binary"]) {
      expect(await answerWith(receiver, transport, { kind: "accept", rejectedSpans: 2, errorMessage: "too new", contentType }), contentType).toEqual({ kind: "accepted", rejectedSpans: 2, message: "too new" });
    }
  });

  it.each([
    [503, { "retry-after": "7" }, 7000],
    [429, {}, undefined],
    [502, {}, undefined],
    [504, { "retry-after": "0" }, 0],
  ])("retries HTTP %i (Retry-After %j)", async (status, headers, retryAfterMs) => {
    const outcome = await answerWith(receiver, transport, { kind: "status", status, headers });
    expect(outcome).toEqual({ kind: "retryable", reason: `HTTP ${status}`, reasonKind: `http_${status}`, ambiguous: false, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  });

  it.each([400, 401, 403, 404, 413, 500, 501])("never retries HTTP %i, and keeps the collector's message", async (status) => {
    expect(await answerWith(receiver, transport, { kind: "status", status, message: "no thanks" })).toEqual({ kind: "failed", reason: `HTTP ${status}: no thanks`, reasonKind: `http_${status}` });
  });

  it.each([301, 302, 307, 308])("does not follow a redirect (HTTP %i): it is final, and says where to", async (status) => {
    const before = receiver.requests.length;
    const outcome = await answerWith(receiver, transport, { kind: "status", status, headers: { location: "https://elsewhere.example/v1/traces" } });
    expect(outcome).toEqual({
      kind: "failed",
      reason: `HTTP ${status}: the collector redirects to https://elsewhere.example/v1/traces; set the endpoint to where it redirects`,
      reasonKind: `http_${status}`,
    });
    // One request, the POST: nothing was sent after the redirect.
    expect(receiver.requests.length - before).toBe(1);
  });

  it("retries when nobody listens, as not delivered", async () => {
    const nobody = new OtlpHttpTransport({ url: `http://127.0.0.1:${await closedPort()}/v1/traces`, headers: {}, timeoutMs: 2000 });
    expect(await nobody.export(BODY)).toEqual({ kind: "retryable", reason: "network: ECONNREFUSED", reasonKind: "network", ambiguous: false });
  });

  it("retries when the collector does not answer in time, as possibly delivered", async () => {
    const impatient = new OtlpHttpTransport({ url: receiver.url, headers: {}, timeoutMs: 200 });
    expect(await answerWith(receiver, impatient, { kind: "hang" })).toEqual({ kind: "retryable", reason: "no answer within 200 ms", reasonKind: "timeout", ambiguous: true });
  });

  // The configuration refuses these headers at start-up; were one to get through, every
  // request would fail the same way, and retrying it would stall the export for ever.
  it.each([
    ["expect", "100-continue", "UND_ERR_NOT_SUPPORTED"],
    ["transfer-encoding", "chunked", "UND_ERR_INVALID_ARG"],
    ["content-length", "99999", "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH"],
  ])("refuses for good a request fetch will not make (%s: %s), which never reached the collector", async (name, value, code) => {
    const refusing = new OtlpHttpTransport({ url: receiver.url, headers: { [name]: value }, timeoutMs: 2000 });
    const before = receiver.requests.length;
    expect(await answerWith(receiver, refusing, { kind: "accept" })).toEqual({ kind: "failed", reason: expect.stringContaining(`the request could not be made: `) as string, reasonKind: "local" });
    expect(await refusing.export(BODY)).toMatchObject({ reason: expect.stringContaining(code) as string });
    expect(receiver.requests.length).toBe(before);
  });
});

// Why the configuration refuses a Host header: fetch sends the endpoint's, without a word.
describe("Node's fetch and a configured Host", () => {
  it("sends the endpoint's host instead", async () => {
    const receiver = await startOtlpHttpReceiver();
    try {
      const transport = new OtlpHttpTransport({ url: receiver.url, headers: { host: "tenant.collector.example" }, timeoutMs: 2000 });
      expect(await answerWith(receiver, transport, { kind: "accept" })).toMatchObject({ kind: "accepted" });
      expect(receiver.requests.at(-1)?.headers.host).toBe(new URL(receiver.url).host);
    } finally {
      await receiver.close();
    }
  });
});

describe("OtlpGrpcTransport", () => {
  let receiver: OtlpReceiver;
  let transport: OtlpGrpcTransport;
  beforeAll(async () => {
    receiver = await startOtlpGrpcReceiver();
    transport = new OtlpGrpcTransport({ endpoint: receiver.url, headers: { "X-Api-Key": "k1" }, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await transport.close();
    await receiver.close();
  });

  it("calls TraceService/Export with the bytes and the configured metadata", async () => {
    expect(await answerWith(receiver, transport, { kind: "accept", rejectedSpans: 2, errorMessage: "dup" })).toEqual({ kind: "accepted", rejectedSpans: 2, message: "dup" });
    const last = receiver.requests.at(-1)!;
    expect(Buffer.from(last.body).equals(Buffer.from(BODY))).toBe(true);
    expect(last.headers["x-api-key"]).toBe("k1");
  });

  it.each([GrpcCode.UNAVAILABLE, GrpcCode.ABORTED, GrpcCode.OUT_OF_RANGE])("retries code %i", async (code) => {
    expect(await answerWith(receiver, transport, { kind: "grpc", code, message: "busy" })).toMatchObject({ kind: "retryable", ambiguous: false });
  });

  it("retries an UNAVAILABLE the collector answered (its back-pressure) as not delivered, labelled by code", async () => {
    expect(await answerWith(receiver, transport, { kind: "grpc", code: GrpcCode.UNAVAILABLE, message: "data refused due to high memory usage" })).toEqual({
      kind: "retryable",
      reason: "grpc UNAVAILABLE: data refused due to high memory usage",
      reasonKind: "grpc_unavailable",
      ambiguous: false,
    });
  });

  it.each([GrpcCode.CANCELLED, GrpcCode.DATA_LOSS])("retries code %i, as possibly delivered", async (code) => {
    expect(await answerWith(receiver, transport, { kind: "grpc", code, message: "lost" })).toMatchObject({ kind: "retryable", ambiguous: true });
  });

  it("retries RESOURCE_EXHAUSTED only with RetryInfo, after its delay", async () => {
    expect(await answerWith(receiver, transport, { kind: "grpc", code: GrpcCode.RESOURCE_EXHAUSTED, message: "limiter", retryDelayMs: 1500 })).toEqual({
      kind: "retryable",
      reason: "grpc RESOURCE_EXHAUSTED: limiter",
      reasonKind: "grpc_resource_exhausted",
      ambiguous: false,
      retryAfterMs: 1500,
    });
    expect(await answerWith(receiver, transport, { kind: "grpc", code: GrpcCode.RESOURCE_EXHAUSTED, message: "quota" })).toEqual({ kind: "failed", reason: "grpc RESOURCE_EXHAUSTED: quota", reasonKind: "grpc_resource_exhausted" });
  });

  it("honours RetryInfo on UNAVAILABLE too", async () => {
    expect(await answerWith(receiver, transport, { kind: "grpc", code: GrpcCode.UNAVAILABLE, retryDelayMs: 2250 })).toMatchObject({ kind: "retryable", retryAfterMs: 2250 });
  });

  it.each([GrpcCode.INVALID_ARGUMENT, GrpcCode.UNAUTHENTICATED, GrpcCode.PERMISSION_DENIED, GrpcCode.INTERNAL, GrpcCode.UNIMPLEMENTED])("never retries code %i", async (code) => {
    expect(await answerWith(receiver, transport, { kind: "grpc", code, message: "no" })).toMatchObject({ kind: "failed" });
  });

  it("retries a deadline passed, as possibly delivered", async () => {
    const impatient = new OtlpGrpcTransport({ endpoint: receiver.url, headers: {}, timeoutMs: 200 });
    expect(await answerWith(receiver, impatient, { kind: "hang" })).toMatchObject({ kind: "retryable", reason: expect.stringMatching(/^grpc DEADLINE_EXCEEDED/), ambiguous: true });
    await impatient.close();
  });

  it("retries when nobody listens, as not delivered", async () => {
    const nobody = new OtlpGrpcTransport({ endpoint: `http://127.0.0.1:${await closedPort()}`, headers: {}, timeoutMs: 2000 });
    expect(await nobody.export(BODY)).toMatchObject({ kind: "retryable", reason: expect.stringMatching(/^grpc UNAVAILABLE: No connection established/), ambiguous: false });
    await nobody.close();
  });

  it("retries when the collector's name does not resolve, as not delivered", async () => {
    const nowhere = new OtlpGrpcTransport({ endpoint: "http://collector.invalid:4317", headers: {}, timeoutMs: 5000 });
    expect(await nowhere.export(BODY)).toMatchObject({ kind: "retryable", reason: expect.stringMatching(/^grpc UNAVAILABLE: Name resolution failed/), ambiguous: false });
    await nowhere.close();
  });

  it("retries a connection dropped after the collector read the request (its process killed), as possibly delivered", async () => {
    // A collector in a process of its own that dies (SIGKILL, as the OOM killer) once it has read the whole request.
    const collector = spawn(process.execPath, [
      "-e",
      `const s = require("node:http2").createServer();
       s.on("stream", (stream) => { stream.resume(); stream.on("end", () => process.kill(process.pid, "SIGKILL")); });
       s.listen(0, "127.0.0.1", () => process.stdout.write("port " + s.address().port + "\\n"));`,
    ]);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        collector.once("exit", (code) => reject(new Error(`the collector exited (${code}) before listening`)));
        collector.stdout.on("data", (data: Buffer) => {
          const found = /port (\d+)/.exec(data.toString());
          if (found) resolve(Number(found[1]));
        });
      });
      const exited = new Promise((resolve) => collector.once("exit", (_, signal) => resolve(signal)));
      const dropped = new OtlpGrpcTransport({ endpoint: `http://127.0.0.1:${port}`, headers: {}, timeoutMs: 10_000 });
      expect(await dropped.export(BODY)).toEqual({ kind: "retryable", reason: "grpc UNAVAILABLE: Connection dropped", reasonKind: "grpc_unavailable", ambiguous: true });
      expect(await exited).toBe("SIGKILL");
      await dropped.close();
    } finally {
      if (collector.exitCode === null && collector.signalCode === null) collector.kill("SIGKILL");
    }
  });
});

describe("OtlpGrpcTransport compression, seen on the wire between it and a grpc-js server", () => {
  let receiver: OtlpReceiver;
  let relay: TcpRelay;
  beforeAll(async () => {
    receiver = await startOtlpGrpcReceiver();
    const target = new URL(receiver.url);
    relay = await startTcpRelay({ host: target.hostname, port: Number(target.port) });
  });
  afterAll(async () => {
    await relay.down();
    await receiver.close();
  });

  /** One export on a channel of its own; the bytes it sent towards the server. */
  async function exportThroughRelay(compression: OtlpCompression): Promise<{ outcome: ExportOutcome; sentBytes: number }> {
    const transport = new OtlpGrpcTransport({ endpoint: `http://${relay.host}:${relay.port}`, headers: {}, timeoutMs: 5000, compression });
    const before = relay.sentBytes;
    receiver.answer = () => ({ kind: "accept" });
    const outcome = await transport.export(LARGE_BODY);
    const sentBytes = relay.sentBytes - before;
    await transport.close();
    return { outcome, sentBytes };
  }

  it("with gzip, sends a fraction of the message's bytes, and the server reads the exact message", async () => {
    const { outcome, sentBytes } = await exportThroughRelay("gzip");
    expect(outcome).toEqual({ kind: "accepted", rejectedSpans: 0, message: "" });
    expect(Buffer.from(receiver.requests.at(-1)!.body).equals(Buffer.from(LARGE_BODY))).toBe(true);
    expect(sentBytes).toBeLessThan(LARGE_BODY.length / 4);
  });

  it("without, sends the whole message", async () => {
    const { outcome, sentBytes } = await exportThroughRelay("none");
    expect(outcome).toMatchObject({ kind: "accepted" });
    expect(Buffer.from(receiver.requests.at(-1)!.body).equals(Buffer.from(LARGE_BODY))).toBe(true);
    expect(sentBytes).toBeGreaterThan(LARGE_BODY.length);
  });
});
