import { defineConfig } from "vitest/config";

// Tiers by file suffix, colocated with the code: `*.unit.spec.ts` run alone;
// `*.int.spec.ts` run against the real traceledger server (started in-process
// from apps/server) on one PostgreSQL for the whole run, started by the global
// setup (embedded, or DATABASE_URL); every int file gets its own database.
export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts"],
    // The server's own test PostgreSQL: one embedded cluster per run (or DATABASE_URL).
    globalSetup: ["../../apps/server/test/support/postgres-global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    pool: "forks",
  },
});
