// A request that does not decode is bad input like any other: INVALID_ARGUMENT
// with one ErrorInfo (MALFORMED_REQUEST; OTLP's TraceService: MALFORMED_OTLP)
// on both doors and in every protocol. connect-node answered protobuf binary
// it could not parse with INTERNAL (HTTP 500) and no ErrorInfo.

import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import { Client as GrpcClient, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { StartTraceRequestSchema, TracingService } from "@traceledger/proto";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { connectError, connectJsonError, grpcJsError } from "./support/error-details.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";

const e2e = serverPerFile();

const TRACING = "traceledger.v1.TracingService";
const OTLP = "opentelemetry.proto.collector.trace.v1.TraceService";
// Field 1, length 5, but only one byte follows.
const TRUNCATED = Buffer.from([0x0a, 0x05, 0x01]);

function enveloped(flags: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(data.byteLength, 1);
  return Buffer.concat([head, data]);
}

/** The envelopes of a gRPC-Web or Connect streaming body. */
function envelopes(body: Buffer): Array<{ flags: number; data: Buffer }> {
  const found: Array<{ flags: number; data: Buffer }> = [];
  for (let at = 0; at < body.length; ) {
    const length = body.readUInt32BE(at + 1);
    found.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return found;
}

async function post(path: string, contentType: string, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(`http://${e2e.server.httpAddress}${path}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

function grpcJsCall(path: string, request: Buffer): Promise<ServiceError | null> {
  const raw = new GrpcClient(e2e.server.grpcAddress, credentials.createInsecure());
  return new Promise<ServiceError | null>((resolve) => {
    raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, request, new Metadata(), {}, (error) => resolve(error));
  }).finally(() => raw.close());
}

describe("a request that does not decode", () => {
  it("over Connect in protobuf binary -> HTTP 400, invalid_argument, MALFORMED_REQUEST naming the message", async () => {
    const answer = await post(`/${TRACING}/StartTrace`, "application/proto", TRUNCATED);

    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.body.toString("utf8")) as { message: string };
    expect(connectJsonError(body)).toEqual({
      code: "invalid_argument",
      reason: "MALFORMED_REQUEST",
      domain: "traceledger.dev",
      metadata: { message_type: "traceledger.v1.StartTraceRequest" },
    });
    expect(body.message).toBe("cannot decode message traceledger.v1.StartTraceRequest from binary: premature EOF");
  });

  it("over Connect in JSON -> HTTP 400 with the decoder's words and MALFORMED_REQUEST", async () => {
    const answer = await post(`/${TRACING}/StartTrace`, "application/json", Buffer.from('{"name":"x","nme":"y"}'));

    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.body.toString("utf8")) as { message: string };
    expect(connectJsonError(body)).toMatchObject({ code: "invalid_argument", reason: "MALFORMED_REQUEST" });
    expect(body.message).toContain('key "nme" is unknown');
  });

  it("over gRPC-Web -> grpc-status 3 with the ErrorInfo in the trailer", async () => {
    const answer = await post(`/${TRACING}/StartTrace`, "application/grpc-web+proto", enveloped(0, TRUNCATED));

    expect(answer.status).toBe(200);
    const frames = envelopes(answer.body);
    expect(frames.map((f) => f.flags)).toEqual([0x80]);
    const error = findTrailerError(trailerParse(frames[0]!.data));
    expect(connectError(error)).toMatchObject({ code: "invalid_argument", reason: "MALFORMED_REQUEST", metadata: { message_type: "traceledger.v1.StartTraceRequest" } });
  });

  it("as a Connect stream's request -> its end message carries invalid_argument and MALFORMED_REQUEST", async () => {
    const answer = await post(`/${TRACING}/WatchTrace`, "application/connect+proto", enveloped(0, TRUNCATED));

    const frames = envelopes(answer.body);
    expect(frames.map((f) => f.flags)).toEqual([0x02]);
    const end = JSON.parse(frames[0]!.data.toString("utf8")) as { error: unknown };
    expect(connectJsonError(end.error)).toMatchObject({ code: "invalid_argument", reason: "MALFORMED_REQUEST", metadata: { message_type: "traceledger.v1.WatchTraceRequest" } });
  });

  it("over gRPC -> INVALID_ARGUMENT with MALFORMED_REQUEST in grpc-status-details-bin", async () => {
    const error = await grpcJsCall(`/${TRACING}/StartSpan`, TRUNCATED);

    expect(grpcJsError(error!)).toEqual({
      code: "invalid_argument",
      reason: "MALFORMED_REQUEST",
      domain: "traceledger.dev",
      metadata: { message_type: "traceledger.v1.StartSpanRequest" },
    });
    expect(error!.details).toBe("cannot decode message traceledger.v1.StartSpanRequest from binary: premature EOF");
  });

  it("compressed but cut short, or not in the encoding it names, over Connect and gRPC-Web -> MALFORMED_REQUEST (was HTTP 500 internal)", async () => {
    const json = Buffer.from(JSON.stringify({ name: "x", serviceName: "y" }));
    const cutShort = gzipSync(json).subarray(0, 12);
    const notGzip = Buffer.from("not gzip at all");
    for (const body of [cutShort, notGzip]) {
      const response = await fetch(`http://${e2e.server.httpAddress}/${TRACING}/StartTrace`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      expect(response.status).toBe(400);
      const answer = (await response.json()) as { message: string };
      expect(connectJsonError(answer)).toMatchObject({ code: "invalid_argument", reason: "MALFORMED_REQUEST", metadata: { message_type: "traceledger.v1.StartTraceRequest" } });
      expect(answer.message).toContain("does not decompress");
    }
    const request = toBinary(StartTraceRequestSchema, create(StartTraceRequestSchema, { name: "x", serviceName: "y" }));
    const web = await fetch(`http://${e2e.server.httpAddress}/${TRACING}/StartTrace`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "grpc-encoding": "gzip" },
      body: enveloped(1, gzipSync(request).subarray(0, 12)),
      signal: AbortSignal.timeout(15_000),
    });
    const frames = envelopes(Buffer.from(await web.arrayBuffer()));
    expect(connectError(findTrailerError(trailerParse(frames.at(-1)!.data)))).toMatchObject({ code: "invalid_argument", reason: "MALFORMED_REQUEST" });
  });

  it("to OTLP's TraceService -> MALFORMED_OTLP on both doors", async () => {
    const grpc = await grpcJsCall(`/${OTLP}/Export`, TRUNCATED);
    const connect = await post(`/${OTLP}/Export`, "application/proto", TRUNCATED);

    expect(grpcJsError(grpc!)).toMatchObject({ code: "invalid_argument", reason: "MALFORMED_OTLP" });
    expect(connect.status).toBe(400);
    expect(connectJsonError(JSON.parse(connect.body.toString("utf8")))).toMatchObject({ code: "invalid_argument", reason: "MALFORMED_OTLP" });
  });
});

describe("answers that are not decode failures", () => {
  it("pass through unchanged: a gRPC-Web call's message and trailer, and our own errors' ErrorInfo", async () => {
    const traceId = newTraceId();
    const request = create(StartTraceRequestSchema, { traceId, spanId: newSpanId(), name: "root", serviceName: "undecodable" });
    const answer = await post(`/${TRACING}/StartTrace`, "application/grpc-web+proto", enveloped(0, toBinary(StartTraceRequestSchema, request)));
    expect(envelopes(answer.body).map((f) => f.flags)).toEqual([0x00, 0x80]);

    const client = createClient(TracingService, createGrpcWebTransport({ baseUrl: `http://${e2e.server.httpAddress}`, httpVersion: "1.1" }));
    const again = await client.startTrace({ traceId, spanId: newSpanId(), name: "second root", serviceName: "undecodable" }).catch((e: unknown) => e);
    expect(connectError(again)).toMatchObject({ code: "failed_precondition", reason: "ROOT_SPAN_EXISTS" });
  });
});
