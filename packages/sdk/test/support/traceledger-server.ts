// The real traceledger server, in this process: startTraceledger from
// apps/server with the configuration a deployment would load from its
// environment, on ephemeral loopback ports and a database of its own on the
// run's PostgreSQL (see postgres-global-setup.ts).

// Declares the provided postgresAdminUrl (the run's PostgreSQL, started by the server's global setup).
import type {} from "../../../../apps/server/test/support/postgres-global-setup.js";
import { createTestDatabase as createServerTestDatabase, type TestDatabase } from "../../../../apps/server/test/support/test-database.js";
import { loadConfig } from "../../../../apps/server/src/config/server-config.js";
import { createLogger } from "../../../../apps/server/src/log/logger.js";
import { startTraceledger, type Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";

export type { TestDatabase };

/** A fresh, empty database on the run's PostgreSQL, from the server's own test support; the server migrates it at start. */
export function createTestDatabase(): Promise<TestDatabase> {
  return createServerTestDatabase({ migrate: false });
}

export interface ServerOptions {
  readonly grpcPort?: number;
  readonly httpPort?: number;
  /** TRACELEDGER_MAX_MESSAGE_BYTES; default the server's (4 MiB). */
  readonly maxMessageBytes?: number;
  /** TRACELEDGER_MAX_BATCH_COMMANDS; default the server's (10,000). */
  readonly maxBatchCommands?: number;
}

/** Starts the server on `database` (ports 0 pick free ones). */
export function startServer(database: TestDatabase, options: ServerOptions = {}): Promise<Traceledger> {
  return startTraceledger(
    loadConfig({
      DATABASE_URL: database.url,
      TRACELEDGER_HOST: "127.0.0.1",
      TRACELEDGER_GRPC_PORT: String(options.grpcPort ?? 0),
      TRACELEDGER_HTTP_PORT: String(options.httpPort ?? 0),
      ...(options.maxMessageBytes !== undefined ? { TRACELEDGER_MAX_MESSAGE_BYTES: String(options.maxMessageBytes) } : {}),
      ...(options.maxBatchCommands !== undefined ? { TRACELEDGER_MAX_BATCH_COMMANDS: String(options.maxBatchCommands) } : {}),
      TRACELEDGER_SHUTDOWN_GRACE_MS: "1000",
      TRACELEDGER_LOG_LEVEL: "error",
    }),
    createLogger("error"),
  );
}

export function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(":") + 1));
}
