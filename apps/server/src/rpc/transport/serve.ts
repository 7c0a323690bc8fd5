// Both doors for the same services, started and stopped together.

import type { ConnectError } from "@connectrpc/connect";
import type { CorsPolicy } from "./cors.js";
import { createGrpcServer } from "./grpc-server.js";
import { createHttpServer } from "./http-server.js";
import { hostPort } from "./host-port.js";
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
  /** The app's own readiness, for /readyz and gRPC health alike; both also require setServing(true). */
  readonly ready: ReadinessCheck;
  /** Per message, both directions, both doors. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  readonly onInternalError?: InternalErrorHandler;
  /** What ends the streams still open at close (UNAVAILABLE), on both doors. */
  readonly shutdownError?: () => ConnectError;
  /** Which other origins' pages may call the HTTP port (browsers). Default: none. */
  readonly cors?: CorsPolicy;
}

/** What startServers throws when a port is taken: which door, at which address. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  /** As Node's own listen error has it. */
  readonly code = "EADDRINUSE";
  constructor(
    readonly door: "gRPC" | "HTTP",
    readonly address: string,
    options?: ErrorOptions,
  ) {
    super(`the ${door} port ${address} is in use`, options);
  }
}

export interface Servers {
  /** host:port of the gRPC door (h2c). */
  readonly grpcAddress: string;
  /** host:port of the HTTP/1.1 door (Connect, gRPC-Web, plain routes). */
  readonly httpAddress: string;
  /**
   * Serving status for gRPC health and /readyz, for all services or one by
   * full name. Both start not serving; say so once the app is ready. Both
   * answer serving only while `ready` also says so.
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
    ready: options.ready,
    onInternalError: options.onInternalError,
    shutdownError: options.shutdownError,
    ...limits,
  }).catch((error: unknown) => {
    throw portInUse(error, "gRPC", options.host, options.grpcPort);
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
    throw portInUse(error, "HTTP", options.host, options.httpPort);
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

/** A PortInUseError for Node's (or grpc-js's) EADDRINUSE; any other error as it is. */
function portInUse(error: unknown, door: PortInUseError["door"], host: string, port: number): unknown {
  return (error as { code?: unknown } | undefined)?.code === "EADDRINUSE" ? new PortInUseError(door, hostPort(host, port), { cause: error }) : error;
}
