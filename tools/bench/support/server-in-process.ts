// A diagnostic server process for the benchmarks: the real composition root
// (startTraceledger), optionally with the ListTraces projector stopped right
// after start, so a benchmark can show what the projector costs the write path.
// Nothing in apps/server changes; the projector is stopped through the handle
// startTraceledger returns.
//
// Forked by the benchmarks (IPC): argv[2] is JSON { databaseUrl, stopProjector };
// the first message is { ready: true, address, pid }; the job { stop: true }
// stops the server gracefully.

import { loadConfig } from "../../../apps/server/src/config/server-config.js";
import { createLogger } from "../../../apps/server/src/log/logger.js";
import { startTraceledger } from "../../../apps/server/src/server/start-traceledger.js";
import { serveJobs } from "./bench-env.js";

/** env: more settings, e.g. MONITORING_ENABLED=false to leave the saga out of a diagnostic. */
const options = JSON.parse(process.argv[2] ?? "{}") as { databaseUrl: string; stopProjector?: boolean; env?: Record<string, string> };
const server = await startTraceledger(
  loadConfig({ DATABASE_URL: options.databaseUrl, TRACELEDGER_HOST: "127.0.0.1", TRACELEDGER_GRPC_PORT: "0", TRACELEDGER_HTTP_PORT: "0", TRACELEDGER_SHUTDOWN_GRACE_MS: "3000", ...options.env }),
  createLogger("error"),
);
if (options.stopProjector) await server.projector.stop();
serveJobs<{ stop?: boolean }, object>({ ready: true, address: server.grpcAddress }, async (job) => {
  if (job.stop) await server.stop();
  return {};
});
