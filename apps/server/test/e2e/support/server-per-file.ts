// One database and one in-process server shared by the tests of a file: created
// before the first test, stopped and dropped after the last. Call it at the top
// level of the spec; read its fields inside tests and hooks.

import { afterAll, beforeAll } from "vitest";
import type { Traceledger } from "../../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.js";
import { connectClient, startServer, type TracingClient } from "./in-process-server.js";

export interface FileServer {
  readonly db: TestDatabase;
  readonly server: Traceledger;
  /** The generated connect client over gRPC to the server. */
  readonly client: TracingClient;
}

/** `overrides`: environment beyond serverEnv's, as for startServer. */
export function serverPerFile(overrides: Record<string, string> = {}): FileServer {
  let db: TestDatabase | undefined;
  let server: Traceledger | undefined;
  let started: FileServer | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer(db.url, overrides);
    started = { db, server, client: connectClient(server.grpcAddress) };
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });
  const get = (): FileServer => {
    if (!started) throw new Error("the file's server is not running: use it inside tests and hooks");
    return started;
  };
  return {
    get db() {
      return get().db;
    },
    get server() {
      return get().server;
    },
    get client() {
      return get().client;
    },
  };
}
