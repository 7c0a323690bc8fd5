// A request that does not decode, answered by connect's own protocol handlers
// (as the HTTP door serves them) for a client that accepts compressed answers:
// a long decoder message makes the answer long enough for connect to compress
// it, and the restatement must read it all the same.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { createAsyncIterable, readAllBytes, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { endStreamFlag, errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import { StartTraceResponseSchema, TracingService } from "@traceledger/proto";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import { describe, expect, it } from "vitest";
import { withDecodeErrorInfo } from "./decode-error-info.js";
import { DECODER_MESSAGE_CHARS } from "./decoder-message.js";
import { MALFORMED_REQUEST } from "./malformed-request.js";

/** A request JSON with an unknown key as long as `length`: protobuf-es quotes the key whole. */
const unknownKey = (length: number) => Buffer.from(`{"${"k".repeat(length)}":1}`);

function handlers() {
  const router = createConnectRouter({ connect: true, grpcWeb: true, grpc: false, acceptCompression: [compressionGzip, compressionBrotli], jsonOptions: { ignoreUnknownFields: false } });
  router.rpc(TracingService.method.startTrace, () => create(StartTraceResponseSchema));
  router.rpc(TracingService.method.watchTrace, async function* () {});
  const wrapped = (name: string) => withDecodeErrorInfo(router.handlers.find((h) => h.method.name === name)!, MALFORMED_REQUEST);
  return { unary: wrapped("StartTrace"), stream: wrapped("WatchTrace") };
}

function request(path: string, headers: Record<string, string>, body: Uint8Array) {
  return { httpVersion: "1.1", url: `http://localhost${path}`, method: "POST", header: new Headers(headers), body: createAsyncIterable([body]), signal: new AbortController().signal };
}

function envelope(flags: number, data: Uint8Array): Uint8Array {
  const out = Buffer.alloc(5 + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  out.set(data, 5);
  return out;
}

async function bodyOf(response: UniversalServerResponse): Promise<Buffer> {
  return Buffer.from(await readAllBytes(response.body!, Number.MAX_SAFE_INTEGER));
}

const LONG = 200_000;

describe("a decoder's long message, in an answer connect compresses", () => {
  it.each(["gzip", "br"])("Connect unary (%s): restated with its ErrorInfo, cut, and sent uncompressed", async (encoding) => {
    const response = await handlers().unary(request("/traceledger.v1.TracingService/StartTrace", { "content-type": "application/json", "accept-encoding": encoding }, unknownKey(LONG)));
    const body = await bodyOf(response);
    expect([response.status, response.header?.get("content-encoding"), body.length < 2 * DECODER_MESSAGE_CHARS + 1_000]).toEqual([400, null, true]);
    const error = errorFromJsonBytes(body, undefined, new ConnectError("not a Connect error", Code.Unknown));
    expect([error.code, error.findDetails(ErrorInfoSchema).map((info) => info.reason)]).toEqual([3, [MALFORMED_REQUEST]]);
    expect(error.rawMessage).toMatch(/… \(\d{6} characters\)$/);
  });

  it("Connect server stream: the end message restated, uncompressed", async () => {
    const response = await handlers().stream(
      request("/traceledger.v1.TracingService/WatchTrace", { "content-type": "application/connect+json", "connect-accept-encoding": "gzip" }, envelope(0, unknownKey(LONG))),
    );
    const body = await bodyOf(response);
    expect([body[0], body.length < 2 * DECODER_MESSAGE_CHARS + 1_000]).toEqual([endStreamFlag, true]);
    const end = JSON.parse(body.subarray(5).toString("utf8")) as { error: unknown };
    const error = errorFromJsonBytes(Buffer.from(JSON.stringify(end.error)), undefined, new ConnectError("not a Connect error", Code.Unknown));
    expect([error.code, error.findDetails(ErrorInfoSchema).map((info) => info.reason)]).toEqual([3, [MALFORMED_REQUEST]]);
  });

  it("gRPC-Web server stream: the trailer restated, uncompressed", async () => {
    const response = await handlers().stream(
      request("/traceledger.v1.TracingService/WatchTrace", { "content-type": "application/grpc-web+json", "grpc-accept-encoding": "gzip" }, envelope(0, unknownKey(LONG))),
    );
    const body = await bodyOf(response);
    expect([body[0], body.length < 2 * DECODER_MESSAGE_CHARS + 1_000]).toEqual([trailerFlag, true]);
    const error = findTrailerError(trailerParse(body.subarray(5)))!;
    expect([error.code, error.findDetails(ErrorInfoSchema).map((info) => info.reason)]).toEqual([3, [MALFORMED_REQUEST]]);
  });
});
