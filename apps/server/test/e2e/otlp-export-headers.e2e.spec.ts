// OTLP_HEADERS that the configured protocol's transport cannot send stop the server
// process at start-up, as any bad setting does: exit 2, naming the variable. Before,
// a gRPC metadata key grpc-js refuses failed the start-up later without naming it, and
// a header Node's fetch refuses (expect, ...) left a running server retrying every
// export for ever.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { killServer, launchServer, type Exit } from "./support/server-process.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** How the process ended, or "still running" once it has run `ms` (then it is killed). */
async function exitOf(env: Record<string, string>, ms = 30_000): Promise<{ exit: Exit | "still running"; output: string }> {
  const server = launchServer(db.url, env);
  try {
    const exit = await Promise.race([server.exited, new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), ms))]);
    return { exit, output: server.output() };
  } finally {
    await killServer(server);
  }
}

describe("OTLP_HEADERS the transport cannot send", () => {
  it("over grpc, a name gRPC metadata cannot carry: exit 2 naming OTLP_HEADERS", { timeout: 60_000 }, async () => {
    const { exit, output } = await exitOf({ OTLP_PROTOCOL: "grpc", OTLP_ENDPOINT: "http://127.0.0.1:4317", OTLP_HEADERS: "x-tenant|id=acme" });
    expect(exit, output).toEqual({ code: 2, signal: null });
    expect(output).toContain('OTLP_HEADERS has headers grpc export cannot send: "x-tenant|id" is not a gRPC metadata key');
  });

  it("over http/protobuf, a header Node's fetch refuses: exit 2 naming OTLP_HEADERS", { timeout: 60_000 }, async () => {
    const { exit, output } = await exitOf({ OTLP_ENDPOINT: "http://127.0.0.1:4318/v1/traces", OTLP_HEADERS: "expect=100-continue" });
    expect(exit, output).toEqual({ code: 2, signal: null });
    expect(output).toContain(`OTLP_HEADERS has headers http/protobuf export cannot send: "expect" is a header Node's fetch refuses to send`);
  });
});
