// The real server, in this process: startTraceledger with the configuration a
// deployment would load from its environment, on ephemeral loopback ports and
// the test file's own database.

import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TracingService } from "@traceledger/proto";
import { loadConfig } from "../../../src/config/server-config.js";
import { createLogger } from "../../../src/log/logger.js";
import { startTraceledger, type Traceledger } from "../../../src/server/start-traceledger.js";

export type TracingClient = Client<typeof TracingService>;

/** Environment of every test server: loopback, ephemeral ports, quiet logs, a short grace period. */
export function serverEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    TRACELEDGER_HOST: "127.0.0.1",
    TRACELEDGER_GRPC_PORT: "0",
    TRACELEDGER_HTTP_PORT: "0",
    TRACELEDGER_SHUTDOWN_GRACE_MS: "3000",
    TRACELEDGER_LOG_LEVEL: "error",
    ...overrides,
  };
}

export function startServer(databaseUrl: string, overrides: Record<string, string> = {}): Promise<Traceledger> {
  return startTraceledger(loadConfig(serverEnv(databaseUrl, overrides)), createLogger("error"));
}

/** The generated connect client over gRPC (HTTP/2) to the grpc-js door. */
export function connectClient(grpcAddress: string): TracingClient {
  return createClient(TracingService, createGrpcTransport({ baseUrl: `http://${grpcAddress}` }));
}
