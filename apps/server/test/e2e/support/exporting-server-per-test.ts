// For OTLP export specs: each test gets its own database and collector
// (receiver), and servers that export to that collector quickly (short delays,
// fast retries); the servers, the receiver and the database go after the test.

import { afterEach, beforeEach } from "vitest";
import type { Traceledger } from "../../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.js";
import { startServer } from "./in-process-server.js";
import type { OtlpReceiver } from "./otlp-receiver.js";

export interface ExportingServers {
  readonly db: TestDatabase;
  readonly receiver: OtlpReceiver;
  /** A server in this process exporting to the receiver; `overrides` come last. */
  exportingServer(overrides?: Record<string, string>): Promise<Traceledger>;
}

/**
 * `startReceiver`: the collector of each test. `exportEnv`: how a server is
 * pointed at it (endpoint, protocol, and what else the spec's servers share).
 */
export function exportingServerPerTest(
  startReceiver: () => Promise<OtlpReceiver>,
  exportEnv: (receiver: OtlpReceiver) => Record<string, string>,
): ExportingServers {
  let db: TestDatabase | undefined;
  let receiver: OtlpReceiver | undefined;
  const servers: Traceledger[] = [];
  beforeEach(async () => {
    db = await createTestDatabase();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    await receiver?.close();
    await db?.drop();
    receiver = db = undefined;
  });
  const running = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("no test is running: use it inside tests and hooks");
    return value;
  };
  return {
    get db() {
      return running(db);
    },
    get receiver() {
      return running(receiver);
    },
    async exportingServer(overrides = {}) {
      const target = running(receiver);
      const server = await startServer(running(db).url, {
        OTLP_EXPORT_MAX_DELAY_MS: "20",
        OTLP_EXPORT_RETRY_INITIAL_MS: "10",
        OTLP_EXPORT_RETRY_MAX_MS: "50",
        ...exportEnv(target),
        ...overrides,
      });
      servers.push(server);
      return server;
    },
  };
}
