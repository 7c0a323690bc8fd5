// The gRPC door, called by connect-es over HTTP/2 and by a stock grpc-js
// client that knows only the .proto files.
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client, type HandlerContext } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Client as GrpcClient, credentials, Metadata, status, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { TracingService } from "@traceledger/proto";
import { ErrorInfoSchema, RpcStatusSchema } from "@traceledger/proto/google-rpc";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hexToBytes } from "../../domain/trace/w3c-ids.js";
import { createGrpcServer, MAX_CONCURRENT_STREAMS, type GrpcServer } from "./grpc-server.js";
import { serviceRegistration } from "./service-registration.js";
import { CallLog } from "./testing/call-log.js";
import { callUnary, foreignTracingClient } from "./testing/foreign-clients.js";
import { rejection } from "./testing/rejection.js";
import { testTracingService } from "./testing/test-tracing-service.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const traceId = hexToBytes(TRACE_ID);
const spanId = hexToBytes(SPAN_ID);

const log = new CallLog();
const internalErrors: unknown[] = [];
let server: GrpcServer;
let sessions: Http2SessionManager;
let client: Client<typeof TracingService>;

beforeAll(async () => {
  server = await createGrpcServer({
    host: "127.0.0.1",
    port: 0,
    services: [serviceRegistration(TracingService, testTracingService(log))],
    maxReceiveMessageBytes: 64 * 1024,
    onInternalError: (error) => internalErrors.push(error),
  });
  sessions = new Http2SessionManager(`http://${server.address}`);
  client = createClient(TracingService, createGrpcTransport({ baseUrl: `http://${server.address}`, sessionManager: sessions }));
});

afterAll(async () => {
  sessions.abort();
  await server.close(0);
});

beforeEach(() => {
  log.clear();
  internalErrors.length = 0;
});

describe("the gRPC door, called by connect-es", () => {
  it("listens on the port it was given, or on a free one for port 0", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
  });

  it("answers a unary call with the implementation's response, response header and trailer", async () => {
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const response = await client.startSpan(
      { traceId, spanId, name: "GET /" },
      { headers: { "x-echo": "from the request" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    );
    expect(response.traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    expect(response.traceVersion).toBe(1n);
    expect(response.traceId).toEqual(traceId);
    expect(header?.get("x-echo")).toBe("from the request");
    expect(trailer?.get("x-trailer")).toBe("done");
  });

  it("aborts a handler's signal once its call is over, even when first read afterwards", async () => {
    await client.startSpan({ traceId, spanId, name: "GET /" });
    const context = (await log.next("startSpan.context")) as HandlerContext;
    expect(context.signal.aborted).toBe(true);
    // Finished, not cancelled by the client: the call ended normally.
    expect(context.signal.reason).toMatchObject({ code: Code.Canceled, rawMessage: "the call finished" });
  });

  it("sends a thrown ConnectError with its code, message and ErrorInfo", async () => {
    const error = await rejection(client.endSpan({ traceId, spanId }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe(`span ${SPAN_ID} has already ended`);
    const [info, ...others] = error.findDetails(ErrorInfoSchema);
    expect(others).toEqual([]);
    expect(info).toMatchObject({ reason: "SPAN_ALREADY_ENDED", domain: "traceledger.dev", metadata: { span_id: SPAN_ID } });
  });

  it("answers an unexpected error with a bare INTERNAL and hands the error to the server's log", async () => {
    const error = await rejection(client.recordError({ traceId, spanId }));
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("internal error");
    expect(JSON.stringify(error)).not.toContain("s3cret");
    expect(internalErrors).toEqual([expect.objectContaining({ message: expect.stringContaining("s3cret") })]);
  });

  it("answers UNIMPLEMENTED for a method the implementation leaves out", async () => {
    const error = await rejection(client.ingestBatch({}));
    expect(error.code).toBe(Code.Unimplemented);
  });

  it("streams a server-streaming response in order, then ends it OK", async () => {
    const versions: bigint[] = [];
    for await (const message of client.watchTrace({ afterVersion: 3n })) versions.push(message.event?.streamVersion ?? -1n);
    expect(versions).toEqual([1n, 2n, 3n]);
    expect(await log.next("watchTrace.finally")).toBe("completed");
  });

  it("delivers a stream larger than the flow-control windows whole and in order", async () => {
    let expected = 1n;
    for await (const message of client.watchTrace({ traceId, afterVersion: 300n })) {
      expect(message.event?.streamVersion).toBe(expected++);
      expect(message.event?.eventId).toHaveLength(16 * 1024);
    }
    expect(expected).toBe(301n);
  });

  it("aborts the handler's signal with DEADLINE_EXCEEDED when the deadline passes", async () => {
    // Long enough for the call to reach the handler on a loaded machine.
    const error = await rejection(client.getTrace({ traceId }, { timeoutMs: 300 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(await log.next("getTrace.aborted")).toMatchObject({ code: Code.DeadlineExceeded });
  });

  it("aborts the handler's signal with CANCELED when the client cancels a unary call", async () => {
    const abort = new AbortController();
    const call = rejection(client.getTrace({ traceId }, { signal: abort.signal }));
    await log.next("getTrace.started");
    abort.abort();
    expect((await call).code).toBe(Code.Canceled);
    expect(await log.next("getTrace.aborted")).toMatchObject({ code: Code.Canceled });
  });

  it("stops a server stream's implementation when the client cancels", async () => {
    const abort = new AbortController();
    const received: bigint[] = [];
    const error = await rejection(
      (async () => {
        for await (const message of client.watchTrace({ afterVersion: 0n }, { signal: abort.signal })) {
          received.push(message.event?.streamVersion ?? -1n);
          if (received.length === 2) abort.abort();
        }
      })(),
    );
    expect(error.code).toBe(Code.Canceled);
    expect(received.slice(0, 2)).toEqual([1n, 2n]);
    expect(await log.next("watchTrace.finally")).toMatchObject({ code: Code.Canceled });
  });

  it("rejects a request larger than the configured limit with RESOURCE_EXHAUSTED", async () => {
    const error = await rejection(client.startSpan({ traceId, spanId, name: "x".repeat(65 * 1024) }));
    expect(error.code).toBe(Code.ResourceExhausted);
  });
});

describe("the gRPC door, called by a stock grpc-js client loading the .proto files", () => {
  let foreign: ReturnType<typeof foreignTracingClient>;
  beforeAll(() => {
    foreign = foreignTracingClient(server.address);
  });
  afterAll(() => foreign.close());

  it("answers a unary call", async () => {
    const outcome = await callUnary<{ traceparent: string; trace_version: string; span_id: Buffer }>(foreign, "StartSpan", {
      trace_id: Buffer.from(traceId),
      span_id: Buffer.from(spanId),
      name: "GET /",
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.response).toMatchObject({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, trace_version: "1" });
    expect(outcome.response?.span_id.toString("hex")).toBe(SPAN_ID);
  });

  it("reads the ErrorInfo from the standard grpc-status-details-bin trailer", async () => {
    const { error } = await callUnary(foreign, "EndSpan", { trace_id: Buffer.from(traceId), span_id: Buffer.from(spanId) });
    expect(error?.code).toBe(status.FAILED_PRECONDITION);
    expect(error?.details).toBe(`span ${SPAN_ID} has already ended`);
    const [bytes] = error?.metadata.get("grpc-status-details-bin") ?? [];
    expect(bytes).toBeInstanceOf(Buffer);
    const rpcStatus = fromBinary(RpcStatusSchema, bytes as Buffer);
    expect(rpcStatus.code).toBe(status.FAILED_PRECONDITION);
    expect(rpcStatus.message).toBe(`span ${SPAN_ID} has already ended`);
    expect(rpcStatus.details.map((d) => d.typeUrl)).toEqual(["type.googleapis.com/google.rpc.ErrorInfo"]);
    const info = anyUnpack(rpcStatus.details[0]!, ErrorInfoSchema);
    expect(info).toMatchObject({ reason: "SPAN_ALREADY_ENDED", domain: "traceledger.dev", metadata: { span_id: SPAN_ID } });
  });

  it("streams a server-streaming response", async () => {
    const call = (foreign as unknown as { WatchTrace(request: object): NodeJS.ReadableStream & { on(e: "status", l: (s: StatusObject) => void): void } }).WatchTrace({
      after_version: "3",
    });
    const statusReceived = new Promise<StatusObject>((resolve) => call.on("status", resolve));
    const versions: string[] = [];
    for await (const message of call as AsyncIterable<{ event: { stream_version: string } }>) versions.push(message.event.stream_version);
    expect(versions).toEqual(["1", "2", "3"]);
    expect((await statusReceived).code).toBe(status.OK);
  });

  it("answers INVALID_ARGUMENT, not INTERNAL, to a request that does not decode", async () => {
    const raw = new GrpcClient(server.address, credentials.createInsecure());
    try {
      const error = await new Promise<ServiceError | null>((resolve) => {
        // Field 1, length 5, but only one byte follows.
        const truncated = Buffer.from([0x0a, 0x05, 0x01]);
        raw.makeUnaryRequest(
          "/traceledger.v1.TracingService/StartSpan",
          (b: Buffer) => b,
          (b: Buffer) => b,
          truncated,
          new Metadata(),
          {},
          (e) => resolve(e),
        );
      });
      expect(error?.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      raw.close();
    }
  });
});

describe("message size limits", () => {
  it("default to 4 MiB: a larger request is RESOURCE_EXHAUSTED, a slightly smaller one passes", async () => {
    const defaults = await createGrpcServer({ host: "127.0.0.1", port: 0, services: [serviceRegistration(TracingService, testTracingService(log))] });
    const manager = new Http2SessionManager(`http://${defaults.address}`);
    try {
      const c = createClient(TracingService, createGrpcTransport({ baseUrl: `http://${defaults.address}`, sessionManager: manager }));
      const tooLarge = await rejection(c.startSpan({ traceId, spanId, name: "x".repeat(4 * 1024 * 1024) }));
      expect(tooLarge.code).toBe(Code.ResourceExhausted);
      const fits = await c.startSpan({ traceId, spanId, name: "x".repeat(4 * 1024 * 1024 - 64) });
      expect(fits.traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    } finally {
      manager.abort();
      await defaults.close(0);
    }
  });
});

describe("one connection's streams", () => {
  it("are bounded: the server's HTTP/2 settings say how many may be open at once", async () => {
    const { connect } = await import("node:http2");
    const session = connect(`http://${server.address}`);
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve, reject) => {
        session.once("remoteSettings", resolve);
        session.once("error", reject);
      });
      // grpc-js's default is 2^32 - 1: 20,000 idle watch streams on one connection stalled the server.
      expect(settings.maxConcurrentStreams).toBe(MAX_CONCURRENT_STREAMS);
      expect(MAX_CONCURRENT_STREAMS).toBeLessThanOrEqual(1000);
    } finally {
      session.close();
    }
  });
});
