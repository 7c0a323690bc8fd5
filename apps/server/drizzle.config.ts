// drizzle-kit: `npx drizzle-kit generate` (run in apps/server) writes a migration for a
// change to the schema into ./drizzle, to be committed. The server applies them at start-up
// (src/event-store/postgres/migrate.ts); drizzle-kit never connects to a database here.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/event-store/postgres/schema.ts", "./src/projections/postgres/projection-schema.ts", "./src/monitoring/monitoring-schema.ts", "./src/subscription/postgres/in-flight-schema.ts", "./src/trace-reads/postgres/trace-view-snapshot-schema.ts"],
  out: "./drizzle",
  strict: true,
  verbose: true,
});
