// Runs the gateway: configured by PORT, TRACELEDGER_GRPC, NEXT_URL,
// SERVICE_NAME and TRACING_SAMPLE_RATE (the polyglot example's contract; a bad
// setting stops it at start-up with one line naming it, exit status 2), prints
// {"listening":<port>} once bound, and on SIGTERM or SIGINT stops: it lets the
// requests in progress answer (so their spans end), ships the queued spans, and
// exits, each step bounded, so a stuck request or a traceledger that is away
// cannot keep it alive.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { createTracer, TracingConfigError, type Tracer } from "@traceledger/sdk";
import { gatewayHandler } from "./gateway.js";

/** The most a stop waits for the requests in progress (as the Go and Python services do). */
const DRAIN_MS = 10_000;
/** The most a stop waits for traceledger to take the queued spans; what is left is dropped (the SDK logs it). */
const FLUSH_MS = 2_000;

const serviceName = process.env["SERVICE_NAME"] || "gateway-ts";
let tracer: Tracer;
try {
  // The SDK reads the TRACING_* variables (TRACING_SAMPLE_RATE among them) from the environment.
  tracer = createTracer({ serviceName, url: `http://${process.env["TRACELEDGER_GRPC"] || "127.0.0.1:7317"}` });
} catch (error) {
  if (!(error instanceof TracingConfigError)) throw error;
  // As the Python and Java services: one line naming each bad setting, exit status 2, not a stack trace.
  process.stderr.write(`invalid configuration: ${error.problems.join("; ")}\n`);
  process.exit(2);
}
const nextUrl = process.env["NEXT_URL"] || undefined;
const server = createServer(gatewayHandler({ tracer, serviceName, ...(nextUrl ? { nextUrl } : {}) }));

server.listen(Number(process.env["PORT"] || 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ listening: (server.address() as AddressInfo).port })}\n`);
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  // Should a step below never settle, the process ends all the same; unref'd, it keeps nothing alive.
  setTimeout(() => process.exit(1), DRAIN_MS + FLUSH_MS + 1_000).unref();
  // Stops accepting; close() calls back once every connection has closed. A connection kept
  // alive by its client outlives its last answer, so each is closed as soon as it is idle.
  const drained = new Promise<void>((resolve) => server.close(() => resolve()));
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  await Promise.race([drained, delay(DRAIN_MS, undefined, { ref: false })]);
  clearInterval(idle);
  // After the drain: the spans of the requests that just answered are in the queue.
  await tracer.shutdown(FLUSH_MS);
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
