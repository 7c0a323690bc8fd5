import { defineConfig } from "vitest/config";

// Tiers by file suffix: `*.spec.ts` are unit tests; `*.int.spec.ts` also use PostgreSQL.
// One PostgreSQL serves the whole run (embedded, or DATABASE_URL), started by the
// global setup; every file that needs it creates its own database.
export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts", "test/**/*.spec.ts"],
    globalSetup: ["test/support/postgres-global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    pool: "forks",
  },
});
