import { defineConfig } from "vitest/config";

// The int test runs the gateway against the real traceledger server (started
// in-process from apps/server) on the server's test PostgreSQL: one embedded
// cluster per run (or DATABASE_URL), a database per test file.
export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts"],
    globalSetup: ["../../apps/server/test/support/postgres-global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    pool: "forks",
  },
});
