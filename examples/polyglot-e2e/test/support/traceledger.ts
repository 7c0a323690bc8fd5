// The real traceledger server, in this process (startTraceledger from
// apps/server), on ephemeral loopback ports and a database of its own on the
// run's PostgreSQL (apps/server's global setup: embedded, or DATABASE_URL).

import { inject } from "vitest";
import type {} from "../../../../apps/server/test/support/postgres-global-setup.js";
import { loadConfig } from "../../../../apps/server/src/config/server-config.js";
import { createPostgresClient, ensureDatabase, escapeIdentifier } from "../../../../apps/server/src/database/open-database.js";
import { randomDatabaseName } from "../../../../apps/server/src/database/embedded-database.js";
import { createLogger } from "../../../../apps/server/src/log/logger.js";
import { startTraceledger, type Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";

export interface TestServer {
  readonly server: Traceledger;
  /** Stops the server and drops its database. */
  stop(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const adminUrl = inject("postgresAdminUrl");
  const name = randomDatabaseName("tl_polyglot");
  await ensureDatabase(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    TRACELEDGER_HOST: "127.0.0.1",
    TRACELEDGER_GRPC_PORT: "0",
    TRACELEDGER_HTTP_PORT: "0",
    TRACELEDGER_SHUTDOWN_GRACE_MS: "1000",
    TRACELEDGER_LOG_LEVEL: "error",
  });
  const server = await startTraceledger(config, createLogger("error"));
  return {
    server,
    stop: async () => {
      await server.stop();
      const admin = createPostgresClient(adminUrl, { max: 1 });
      try {
        await admin.unsafe(`drop database if exists ${escapeIdentifier(name)} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}
