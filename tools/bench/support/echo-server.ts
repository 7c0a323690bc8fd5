// The baseline server of unary-latency.ts: a bare @grpc/grpc-js server on the
// same paths as TracingService's StartTrace, StartSpan and EndSpan, with
// identity serialisers. It takes the request bytes and answers with a canned
// response of the size traceledger answers (encoded once at start), so the
// wire carries the same messages and only the server's own work is missing.
//
// Run by unary-latency.ts as a child process (IPC): its first message is
// { ready: true, address }; it exits when the parent disconnects.

import { create, toBinary } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type MethodDefinition, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { EndSpanResponseSchema, StartSpanResponseSchema, StartTraceResponseSchema } from "@traceledger/proto";
import { randomBytes } from "node:crypto";
import { serveJobs } from "./bench-env.js";
import { TRACING } from "./grpc-unary.js";

const traceId = randomBytes(16);
const spanId = randomBytes(8);
const traceparent = `00-${traceId.toString("hex")}-${spanId.toString("hex")}-01`;
const canned: Record<string, Buffer> = {
  StartTrace: Buffer.from(toBinary(StartTraceResponseSchema, create(StartTraceResponseSchema, { traceId, spanId, traceparent, traceVersion: 2n }))),
  StartSpan: Buffer.from(toBinary(StartSpanResponseSchema, create(StartSpanResponseSchema, { traceId, spanId, traceparent, traceVersion: 17n }))),
  EndSpan: Buffer.from(toBinary(EndSpanResponseSchema, create(EndSpanResponseSchema, { traceVersion: 18n, durationNano: 1_234_567n }))),
};

const identity = (b: Buffer) => b;
const server = new Server();
const definition: Record<string, MethodDefinition<Buffer, Buffer>> = {};
const implementation: Record<string, (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void> = {};
for (const [name, response] of Object.entries(canned)) {
  definition[name] = {
    path: `${TRACING}/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
  implementation[name] = (_call, callback) => callback(null, response);
}
server.addService(definition, implementation);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
);
serveJobs({ ready: true, address: `127.0.0.1:${port}`, sizes: Object.fromEntries(Object.entries(canned).map(([k, v]) => [k, v.length])) }, async () => ({}));
