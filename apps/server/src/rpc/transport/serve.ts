// Both doors for the same services, started and stopped together.

import type { ConnectError } from "@connectrpc/connect";
import type { CorsPolicy } from "./cors.js";
import { createGrpcServer } from "./grpc-server.js";
import { createHttpServer } from "./http-server.js";
import type { PlainRoute } from "./plain-routes.js";
import { probeRoutes, type ReadinessCheck } from "./probe-routes.js";
import type { InternalErrorHandler } from "./public-error.js";
import type { ServiceRegistration } from "./service-registration.js";

interface ServeOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly grpcPort: number;
  /** 0 picks a free port. */
  readonly httpPort: number;
  readonly services: readonly ServiceRegistration[];
  /** Routes beside /healthz and /readyz on the HTTP port (for example /metrics, POST /v1/traces). */
  readonly plainRoutes?: readonly PlainRoute[];
  /** The app's own readiness; /readyz also requires setServing(true). */
  readonly ready: ReadinessCheck;
  /** Per message, both directions, both doors. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  readonly onInternalError?: InternalErrorHandler;
  /** What ends the streams still open at close (UNAVAILABLE), on both doors. */
  readonly shutdownError?: () => ConnectError;
  /** Which other origins' pages may call the HTTP port (browsers). Default: none. */
  readonly cors?: CorsPolicy;
}

export interface Servers {
  /** host:port of the gRPC door (h2c). */
  readonly grpcAddress: string;
  /** host:port of the HTTP/1.1 door (Connect, gRPC-Web, plain routes). */
  readonly httpAddress: string;
  /**
   * Serving status for gRPC health and /readyz, for all services or one by
   * full name. Both start not serving; say so once the app is ready.
   */
  setServing(serving: boolean, service?: string): void;
  /**
   * Not serving, then both doors stop accepting, end server streams with
   * UNAVAILABLE, let unary calls finish, and cut what is left after
   * gracePeriodMs. Resolves when both are closed.
   */
  close(gracePeriodMs: number): Promise<void>;
}

export async function startServers(options: ServeOptions): Promise<Servers> {
  const limits = { maxReceiveMessageBytes: options.maxMessageBytes, maxSendMessageBytes: options.maxMessageBytes };
  const grpc = await createGrpcServer({
    host: options.host,
    port: options.grpcPort,
    services: options.services,
    onInternalError: options.onInternalError,
    shutdownError: options.shutdownError,
    ...limits,
  });
  let serving = false;
  const readiness: ReadinessCheck = () => (serving ? options.ready() : { ready: false, reason: "not serving" });
  const http = await createHttpServer({
    host: options.host,
    port: options.httpPort,
    services: options.services,
    routes: [...probeRoutes(readiness), ...(options.plainRoutes ?? [])],
    onInternalError: options.onInternalError,
    shutdownError: options.shutdownError,
    cors: options.cors,
    ...limits,
  }).catch(async (error: unknown) => {
    await grpc.close(0);
    throw error;
  });

  return {
    grpcAddress: grpc.address,
    httpAddress: http.address,
    setServing(value, service) {
      grpc.setServing(value, service);
      if (service === undefined) serving = value;
    },
    async close(gracePeriodMs) {
      serving = false;
      await Promise.all([grpc.close(gracePeriodMs), http.close(gracePeriodMs)]);
    },
  };
}
