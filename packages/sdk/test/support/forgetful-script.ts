// A short script that traces its work and returns without calling shutdown():
// one span ended, one left open. It prints the trace id and lets the event loop
// empty. Configured from the environment (TRACELEDGER_URL, TRACELEDGER_TIMEOUT_MS)
// and SCRIPT_SHUTDOWN_TIMEOUT_MS.

import { createTracer } from "../../src/index.js";

const tracer = createTracer({ serviceName: "forgetful-script", batch: { shutdownTimeoutMs: Number(process.env["SCRIPT_SHUTDOWN_TIMEOUT_MS"] ?? 5_000) } });
const root = tracer.startSpan("script");
tracer.startSpan("finished", { parent: root }).end();
tracer.startSpan("left open", { parent: root });
process.stdout.write(root.spanContext().traceId);
