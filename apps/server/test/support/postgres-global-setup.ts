// vitest globalSetup: one PostgreSQL for the whole test run, shared with every test
// file through provide/inject as an admin URL. Each file then creates its own database
// (test-database.ts), so files are isolated and run in parallel.
//
// With DATABASE_URL set, that server is used instead (it needs the right to CREATE
// DATABASE). Otherwise an embedded cluster starts in a throwaway folder, without fsync:
// tests need isolation and speed, not durability.

import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedDatabase } from "../../src/database/embedded-database.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL of the test server's maintenance database, for CREATE DATABASE. */
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env["DATABASE_URL"];
  if (external) {
    project.provide("postgresAdminUrl", external);
    return async () => {};
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), "traceledger-test-pg-"));
  await chmod(dataDir, 0o755); // as root, the server runs as "postgres" and must enter it
  const database = await startEmbeddedDatabase({
    dataDir: path.join(dataDir, "data"),
    unsafeFast: true,
    postgresFlags: ["-c", "max_connections=200"],
  });
  project.provide("postgresAdminUrl", database.url("postgres"));
  return async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
