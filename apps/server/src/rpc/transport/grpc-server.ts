// The gRPC door: @grpc/grpc-js over h2c, serving connect-es implementations
// with protobuf-es serialisers (a fraction of connect-node's CPU per call),
// plus the standard health and reflection services that generic tools expect.

import { Code, ConnectError } from "@connectrpc/connect";
import { Server, ServerCredentials, setLogger, type ServiceDefinition, type ServerWritableStream, type UntypedServiceImplementation } from "@grpc/grpc-js";
// Not in grpc-js's index (only setLogger is): what bind() restores after its scoped filter.
import { getLogger } from "@grpc/grpc-js/build/src/logging.js";
import { file_google_rpc_error_details, file_google_rpc_status } from "@traceledger/proto/google-rpc";
import { Health } from "@traceledger/proto/grpc-health";
import { setMaxListeners } from "node:events";
import { resetStream, SHUTTING_DOWN, STREAM_END_MS, trackOpenStream } from "./end-stream-on-shutdown.js";
import { createHealthService, type ServingStatus } from "./grpc-health.js";
import { reflectionImplementation } from "./grpc-reflection.js";
import { grpcServiceDefinition } from "./grpc-service-definition.js";
import { grpcServiceImplementation } from "./grpc-service-implementation.js";
import { hostPort } from "./host-port.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "./message-limits.js";
import type { ReadinessCheck } from "./probe-routes.js";
import { logInternalError, type InternalErrorHandler } from "./public-error.js";
import { createReflectionIndex } from "./reflection-index.js";
import type { ServiceRegistration } from "./service-registration.js";
import { standardServiceDefinition } from "./standard-protos.js";

/** What errors carry (grpc-status-details-bin), for reflection clients to decode. */
const ERROR_DETAIL_FILES = [file_google_rpc_status, file_google_rpc_error_details];

interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port; the bound one is on the result. */
  readonly port: number;
  readonly services: readonly ServiceRegistration[];
  /**
   * The app's readiness (/readyz's): health answers NOT_SERVING while it says not ready, also
   * for what setServing declared serving. Asked at most once per READINESS_CACHE_MS. Default: ready.
   */
  readonly ready?: ReadinessCheck;
  /** Larger requests fail with RESOURCE_EXHAUSTED. Default 4 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Larger responses fail with RESOURCE_EXHAUSTED. Default 4 MiB. */
  readonly maxSendMessageBytes?: number;
  readonly onInternalError?: InternalErrorHandler;
  /** What ends the streams still open at close (UNAVAILABLE). Default: the code and message alone; the app adds its ErrorInfo. */
  readonly shutdownError?: () => ConnectError;
}

export interface GrpcServer {
  /** host:port as bound. */
  readonly address: string;
  readonly port: number;
  /**
   * Health status of one service by full name, of the server as a whole (""), or of all when
   * service is omitted. Serving is answered only while `ready` also says so.
   */
  setServing(serving: boolean, service?: string): void;
  /**
   * Stops accepting calls, ends server streams with UNAVAILABLE (resetting, after
   * STREAM_END_MS, those whose clients do not read), lets unary calls finish,
   * and after gracePeriodMs cancels whatever still runs.
   */
  close(gracePeriodMs: number): Promise<void>;
}

/** The most streams (calls) one HTTP/2 connection may have open at once. */
export const MAX_CONCURRENT_STREAMS = 1000;

export async function createGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const server = new Server({
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": options.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    // grpc-js advertises no limit (2^32 - 1): one connection opening 20,000 idle WatchTrace
    // streams stalled the server for seconds. Far above what a client multiplexes (the SDK,
    // the benchmarks: at most 64 calls in flight); a client past it waits for a free stream.
    "grpc.max_concurrent_streams": MAX_CONCURRENT_STREAMS,
  });
  const streamShutdown = new AbortController();
  // One listener per open stream; many streams are normal, not a leak.
  setMaxListeners(0, streamShutdown.signal);
  const openStreams = new Set<ServerWritableStream<unknown, unknown>>();
  const handlerOptions = { streamShutdown: streamShutdown.signal, onInternalError: options.onInternalError ?? logInternalError, openStreams };

  for (const registration of options.services) {
    server.addService(grpcServiceDefinition(registration.service, registration.grpcRequestReaders), grpcServiceImplementation(registration, handlerOptions));
  }
  const health = createHealthService(
    options.services.map((r) => r.service.typeName),
    { streamShutdown: streamShutdown.signal, ...(options.ready ? { ready: options.ready } : {}) },
  );
  const reflection = reflectionImplementation(
    createReflectionIndex([...options.services.map((r) => r.service), Health], ERROR_DETAIL_FILES),
    streamShutdown.signal,
  );
  // Their streams (Health.Watch, ServerReflectionInfo) are cut at close like the app's: a client
  // that stopped reading holds one open behind flow control as it would a WatchTrace.
  for (const [definition, implementation] of [
    [grpcServiceDefinition(Health), health.implementation],
    [standardServiceDefinition("grpc.reflection.v1.ServerReflection"), reflection],
    [standardServiceDefinition("grpc.reflection.v1alpha.ServerReflection"), reflection],
  ] as const) {
    server.addService(definition, trackingStreams(definition, implementation, openStreams));
  }

  const port = await bind(server, hostPort(options.host, options.port));
  let closing: Promise<void> | undefined;
  return {
    address: hostPort(options.host, port),
    port,
    setServing(serving, service) {
      const status: ServingStatus = serving ? "SERVING" : "NOT_SERVING";
      if (service === undefined) health.setAll(status);
      else health.setStatus(service, status);
    },
    close(gracePeriodMs) {
      closing ??= (async () => {
        health.setAll("NOT_SERVING");
        streamShutdown.abort(options.shutdownError?.() ?? new ConnectError(SHUTTING_DOWN, Code.Unavailable));
        const resetStalled = setTimeout(() => {
          for (const call of openStreams) resetStream(call);
        }, Math.min(STREAM_END_MS, gracePeriodMs));
        await shutdown(server, gracePeriodMs);
        clearTimeout(resetStalled);
      })();
      return closing;
    },
  };
}

/**
 * The implementation with the calls of its server-streaming methods (server streams and bidi)
 * kept in `openStreams` until they end, as grpcServiceImplementation keeps the app's. Unary
 * calls are left out: they may finish within the grace period.
 */
function trackingStreams(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  openStreams: Set<ServerWritableStream<unknown, unknown>>,
): UntypedServiceImplementation {
  return Object.fromEntries(
    Object.entries(implementation).map(([name, handler]) => {
      if (!definition[name]?.responseStream) return [name, handler];
      const track = (call: ServerWritableStream<unknown, unknown>): void => {
        trackOpenStream(call, openStreams);
        (handler as (call: ServerWritableStream<unknown, unknown>) => void)(call);
      };
      return [name, track];
    }),
  );
}

/**
 * grpc-js both rejects and logs a failed bind to stderr ("E No address added out of total 1
 * resolved"), beside the app's own report of the rejection. That one message is dropped while
 * the bind runs; every other message still reaches grpc-js's logger.
 */
const BIND_FAILED = "No address added out of total";

async function bind(server: Server, address: string): Promise<number> {
  const logger = getLogger();
  setLogger({
    ...logger,
    error: (message?: unknown, ...rest: unknown[]) => {
      if (!(typeof message === "string" && message.startsWith(BIND_FAILED))) logger.error?.(message, ...rest);
    },
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
    });
  } catch (error) {
    // grpc-js names the listen error in its message alone; `code` as Node's own listen error has it.
    if (error instanceof Error && error.message.includes("EADDRINUSE")) throw Object.assign(error, { code: "EADDRINUSE" as const });
    throw error;
  } finally {
    setLogger(logger);
  }
}

// tryShutdown closes the listener and sends GOAWAY, then waits for open calls;
// forceShutdown cancels those still open when the grace period ends.
function shutdown(server: Server, gracePeriodMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, gracePeriodMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
