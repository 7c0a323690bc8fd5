import { defineConfig } from "vitest/config";

// The server's test PostgreSQL (one embedded cluster per run, or DATABASE_URL),
// the server in-process, the services as child processes. Building the Go and
// Java services from cold takes minutes on 2 cores: the setup hook has its own
// long timeout in the spec.
export default defineConfig({
  test: {
    include: ["test/**/*.spec.ts"],
    globalSetup: ["../../apps/server/test/support/postgres-global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    teardownTimeout: 30_000,
    pool: "forks",
  },
});
