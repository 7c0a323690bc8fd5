// One real traceledger server on a database of its own for a whole spec file:
// started before its tests, stopped and dropped after them.

import { afterAll, beforeAll } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { createTestDatabase, startServer, type TestDatabase } from "./traceledger-server.js";

export interface FileServer {
  readonly server: Traceledger;
  readonly database: TestDatabase;
}

export function serverPerFile(): FileServer {
  let database: TestDatabase | undefined;
  let server: Traceledger | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startServer(database);
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });
  return {
    get server() {
      if (!server) throw new Error("the server starts in beforeAll");
      return server;
    },
    get database() {
      if (!database) throw new Error("the database is created in beforeAll");
      return database;
    },
  };
}
