// grpc-js handlers that run a connect-es ServiceImpl: unary and server
// streaming. Client and bidi streaming answer UNIMPLEMENTED; no service of
// ours declares them.

import { create, isMessage, type DescMessage, type DescMethod, type Message, type MessageInitShape } from "@bufbuild/protobuf";
import { createServiceImplSpec, type HandlerContext, type MethodImplSpec } from "@connectrpc/connect";
import {
  status,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerUnaryCall,
  type ServerWritableStream,
  type StatusObject,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { once } from "node:events";
import { grpcCallContext } from "./grpc-handler-context.js";
import { appendHeadersToMetadata } from "./grpc-metadata.js";
import { MalformedRequest, type GrpcRequest } from "./grpc-service-definition.js";
import { trackOpenStream } from "./end-stream-on-shutdown.js";
import { toGrpcStatus } from "./grpc-status.js";
import { binaryDecodeFailure, malformedRequest } from "./malformed-request.js";
import { publicError, type InternalErrorHandler } from "./public-error.js";
import type { ServiceRegistration } from "./service-registration.js";
import { untilAborted } from "./until-aborted.js";

interface GrpcHandlerOptions {
  /**
   * Aborted when the server starts to close: server streams end at once (the
   * implementation sees its signal abort), while unary calls may finish within
   * the grace period.
   */
  readonly streamShutdown: AbortSignal;
  readonly onInternalError: InternalErrorHandler;
  /** Server streams whose calls have not ended yet (their HTTP/2 stream is open), for the server's close. */
  readonly openStreams?: Set<ServerWritableStream<unknown, unknown>>;
}

interface MethodHandlerOptions extends GrpcHandlerOptions {
  readonly malformedRequestReason: string;
}

export function grpcServiceImplementation(registration: ServiceRegistration, options: GrpcHandlerOptions): UntypedServiceImplementation {
  const spec = createServiceImplSpec(registration.service, registration.implementation);
  const withReason = { ...options, malformedRequestReason: registration.malformedRequestReason };
  return Object.fromEntries(Object.values(spec.methods).map((method) => [method.method.name, grpcMethodHandler(method, withReason)]));
}

function grpcMethodHandler(spec: MethodImplSpec, options: MethodHandlerOptions): UntypedHandleCall {
  switch (spec.kind) {
    case "unary":
      return unaryHandler(spec.method, spec.impl, options);
    case "server_streaming":
      return serverStreamingHandler(spec.method, spec.impl, options);
    case "client_streaming":
      return (_call: unknown, callback: (error: Partial<StatusObject>) => void) => callback(unimplemented(spec.method));
    case "bidi_streaming":
      return (call: ServerWritableStream<unknown, unknown>) => call.emit("error", unimplemented(spec.method));
  }
}

type UnaryImpl = Extract<MethodImplSpec, { kind: "unary" }>["impl"];
type ServerStreamingImpl = Extract<MethodImplSpec, { kind: "server_streaming" }>["impl"];

function unaryHandler(method: DescMethod, impl: UnaryImpl, options: MethodHandlerOptions): handleUnaryCall<GrpcRequest, Message> {
  return (call, callback) => {
    const { context, done } = grpcCallContext(call, method);
    void (async () => {
      try {
        const response = normalize(method.output, await impl(decoded(call.request, method, options.malformedRequestReason), context));
        sendResponseHeader(call, context);
        callback(null, response, appendHeadersToMetadata(context.responseTrailer));
      } catch (thrown) {
        callback(failure(thrown, method, context, options));
      } finally {
        done();
      }
    })();
  };
}

function serverStreamingHandler(method: DescMethod, impl: ServerStreamingImpl, options: MethodHandlerOptions): handleServerStreamingCall<GrpcRequest, Message> {
  return (call) => {
    const { context, done } = grpcCallContext(call, method, options.streamShutdown);
    const sent = { header: false };
    trackOpenStream(call as ServerWritableStream<unknown, unknown>, options.openStreams);
    void (async () => {
      try {
        await writeAll(call, impl(decoded(call.request, method, options.malformedRequestReason), context), method.output, context, sent);
        call.end(appendHeadersToMetadata(context.responseTrailer));
      } catch (thrown) {
        call.emit("error", failure(thrown, method, context, options, sent));
      } finally {
        done();
      }
    })();
  };
}

async function writeAll(
  call: ServerWritableStream<GrpcRequest, Message>,
  responses: AsyncIterable<MessageInitShape<DescMessage>>,
  output: DescMessage,
  context: HandlerContext,
  sent: { header: boolean },
): Promise<void> {
  for await (const response of untilAborted(responses, context.signal)) {
    if (!sent.header) sent.header = sendResponseHeader(call, context);
    if (!call.write(normalize(output, response))) await once(call, "drain", { signal: context.signal });
  }
}

function decoded(request: GrpcRequest, method: DescMethod, malformedRequestReason: string): Message {
  if (request instanceof MalformedRequest) {
    const type = method.input.typeName;
    const detail = request.cause instanceof Error ? request.cause.message : String(request.cause);
    throw malformedRequest(malformedRequestReason, type, binaryDecodeFailure(type, detail));
  }
  return request;
}

function normalize(schema: DescMessage, value: MessageInitShape<DescMessage>): Message {
  return isMessage(value, schema) ? value : create(schema, value);
}

function sendResponseHeader(call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>, context: HandlerContext): true {
  if ([...context.responseHeader.keys()].length > 0) call.sendMetadata(appendHeadersToMetadata(context.responseHeader));
  return true;
}

function failure(
  thrown: unknown,
  method: DescMethod,
  context: HandlerContext,
  options: GrpcHandlerOptions,
  sent = { header: false },
): StatusObject {
  const error = publicError(thrown, `${method.parent.typeName}/${method.name}`, options.onInternalError, context.signal);
  // Before any message the status goes out alone (trailers-only), so it carries the response header too.
  const trailers = appendHeadersToMetadata(context.responseTrailer, sent.header ? undefined : appendHeadersToMetadata(context.responseHeader));
  return toGrpcStatus(error, trailers);
}

function unimplemented(method: DescMethod): Partial<StatusObject> {
  return { code: status.UNIMPLEMENTED, details: `${method.parent.typeName}.${method.name} (${method.methodKind}) is not supported by this server` };
}
