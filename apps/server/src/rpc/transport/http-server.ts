// The HTTP/1.1 door: the same implementations through connect-node, for the
// Connect protocol (JSON for curl and fetch, binary) and gRPC-Web (browsers),
// with plain routes for everything that is not an RPC. gRPC proper needs
// HTTP/2 and has its own door.

import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, createServiceImplSpec, type ConnectRouterOptions, type MethodImpl } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { setMaxListeners } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connectRequestListener } from "./connect-request-listener.js";
import { withCors, type CorsPolicy } from "./cors.js";
import { withDecodeErrorInfo } from "./decode-error-info.js";
import { DECODE_RECURSION_LIMIT } from "./decode-recursion-limit.js";
import { SHUTTING_DOWN, STREAM_END_MS } from "./end-stream-on-shutdown.js";
import { hostPort } from "./host-port.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "./message-limits.js";
import { plainRouter, type PlainRoute } from "./plain-routes.js";
import { preEncodedJsonInterceptor } from "./pre-encoded-message.js";
import { logInternalError, publicErrorInterceptor, type InternalErrorHandler } from "./public-error.js";
import type { ServiceRegistration } from "./service-registration.js";
import { untilAbortedInterceptor } from "./until-aborted.js";

interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port; the bound one is on the result. */
  readonly port: number;
  readonly services: readonly ServiceRegistration[];
  readonly routes: readonly PlainRoute[];
  /** Larger requests fail with RESOURCE_EXHAUSTED. Default 4 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Larger responses fail with RESOURCE_EXHAUSTED. Default 4 MiB. */
  readonly maxSendMessageBytes?: number;
  readonly onInternalError?: InternalErrorHandler;
  /** What ends the streams still open at close (UNAVAILABLE). Default: the code and message alone; the app adds its ErrorInfo. */
  readonly shutdownError?: () => ConnectError;
  /** Which other origins' pages may call, RPCs and plain routes alike. Default: none (CORS off). */
  readonly cors?: CorsPolicy;
  /** How long a request's headers, and the whole request, may take (408 after). Default 10 s and 60 s. */
  readonly requestTimeouts?: { readonly headersMs: number; readonly requestMs: number };
}

export interface HttpServer {
  /** host:port as bound. */
  readonly address: string;
  readonly port: number;
  /**
   * Stops accepting connections, ends server streams with UNAVAILABLE (closing,
   * after STREAM_END_MS, the connections of those whose clients do not read),
   * lets unary calls and plain requests finish, and after gracePeriodMs
   * destroys the connections still open.
   */
  close(gracePeriodMs: number): Promise<void>;
}

/**
 * Answers are bounded by what they hold, in protobuf bytes (GetTrace's TRACE_TOO_LARGE,
 * GetTraceEvents' page budget). The same answer in JSON is larger: bytes in base64, a
 * control character in a string escaped in six bytes. Connect's own cap on what it writes,
 * which fails a call with a bare RESOURCE_EXHAUSTED, is a backstop set past that, so that a
 * JSON client gets what a binary client gets.
 */
const JSON_ANSWER_EXPANSION = 8;

/** How long a request's headers may take to arrive, and its whole request (not a stream's answer). */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 60_000;

export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const onInternalError = options.onInternalError ?? logInternalError;
  const streamShutdown = new AbortController();
  setMaxListeners(0, streamShutdown.signal);
  /** The paths of the streaming procedures ("/pkg.Service/Method"), and their responses still open. */
  const streamingPaths = new Set<string>();
  const openStreams = new Set<ServerResponse>();
  const protocols: ConnectRouterOptions = {
    grpc: false,
    grpcWeb: true,
    connect: true,
    readMaxBytes: options.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    binaryOptions: { recursionLimit: DECODE_RECURSION_LIMIT },
    writeMaxBytes: (options.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) * JSON_ANSWER_EXPANSION,
    interceptors: [publicErrorInterceptor(onInternalError), untilAbortedInterceptor(), preEncodedJsonInterceptor()],
  };
  // As connectNodeAdapter would have it: answers compressed for the clients that accept it.
  const router = createConnectRouter({ ...protocols, acceptCompression: [compressionGzip, compressionBrotli] });
  for (const registration of options.services) {
    const first = router.handlers.length;
    const spec = createServiceImplSpec(registration.service, registration.implementation);
    for (const method of Object.values(spec.methods)) {
      // connect's shutdownSignal aborts every call it is given to; only
      // streams get it, so unary calls can finish within the grace period.
      const streaming = method.kind !== "unary";
      if (streaming) streamingPaths.add(`/${registration.service.typeName}/${method.method.name}`);
      const jsonOptions = { ignoreUnknownFields: registration.ignoreUnknownJsonFields, recursionLimit: DECODE_RECURSION_LIMIT };
      router.rpc(method.method, method.impl as MethodImpl<DescMethod>, streaming ? { ...protocols, jsonOptions, shutdownSignal: streamShutdown.signal } : { ...protocols, jsonOptions });
    }
    const added = router.handlers.splice(first);
    router.handlers.push(...added.map((handler) => withDecodeErrorInfo(handler, registration.malformedRequestReason)));
  }
  const handler = connectRequestListener(router.handlers, plainRouter(options.routes, onInternalError), onInternalError);

  let closing: Promise<void> | undefined;
  const server = createServer(
    {
      // Node 20 waits 60 s for a request's headers and 300 s for its body: a client that
      // sends a large body slowly and stalls pins that memory for five minutes per connection.
      headersTimeout: options.requestTimeouts?.headersMs ?? HEADERS_TIMEOUT_MS,
      requestTimeout: options.requestTimeouts?.requestMs ?? REQUEST_TIMEOUT_MS,
      // Node checks them every 30 s by default, which would let a stalled request live 30 s longer.
      connectionsCheckingInterval: Math.min(5_000, options.requestTimeouts?.headersMs ?? HEADERS_TIMEOUT_MS),
    },
    withCors(handler, options.cors ?? { allowedOrigins: [] }),
  );
  // A keep-alive connection that finishes its last request during close would
  // otherwise idle until its timeout and hold close() open.
  server.on("request", (request, response) => {
    response.once("close", () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    if (streamingPaths.has(request.url?.split("?")[0] ?? "")) {
      openStreams.add(response);
      // A response queued behind another on a pipelined connection never closes when the
      // client goes: its socket's close says so (connect-request-listener.ts).
      // Held here: node:http detaches the socket from the request (null) once the response ends.
      const socket = request.socket;
      const forget = () => {
        openStreams.delete(response);
        socket.off("close", forget);
      };
      response.once("close", forget);
      socket.once("close", forget);
    }
  });
  const port = await listen(server, options.host, options.port);

  return {
    address: hostPort(options.host, port),
    port,
    close(gracePeriodMs) {
      closing ??= new Promise((resolve) => {
        streamShutdown.abort(options.shutdownError?.() ?? new ConnectError(SHUTTING_DOWN, Code.Unavailable));
        // A stream whose client has stopped reading cannot take its end: HTTP/1.1 has no
        // way to end one response but to close its connection, which carries nothing else.
        const cutStalled = setTimeout(() => {
          for (const response of openStreams) response.destroy();
        }, Math.min(STREAM_END_MS, gracePeriodMs));
        const timer = setTimeout(() => server.closeAllConnections(), gracePeriodMs);
        server.close(() => {
          clearTimeout(cutStalled);
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
