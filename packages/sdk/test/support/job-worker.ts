// A job worker in its own process, as a queue consumer would run: it reads one
// job (JSON: { payload, metadata }) from stdin, continues the trace carried in
// the job's metadata, does its work in spans, ships them, and prints what it
// did as JSON. Configured from the environment only (TRACELEDGER_URL,
// OTEL_SERVICE_NAME), like a deployed worker.

import { createTracer, extractContext, getActiveBaggage } from "../../src/index.js";

interface Job {
  readonly payload: { readonly reportId: string };
  readonly metadata: Record<string, string>;
}

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

const job = JSON.parse(await readStdin()) as Job;
const tracer = createTracer();
const parent = extractContext(job.metadata);
const result = await tracer.withSpan(
  "process job",
  async (span) => {
    span.setAttributes({ "report.id": job.payload.reportId, "tenant.id": getActiveBaggage()?.getValue("tenant") ?? "" });
    const rendered = await tracer.withSpan("render report", async (render) => {
      render.addEvent("rendered", { pages: 3 });
      return render.spanContext().spanId;
    });
    return { processSpanId: span.spanContext().spanId, renderSpanId: rendered, traceId: span.spanContext().traceId };
  },
  { parent, kind: "consumer" },
);
await tracer.shutdown();
process.stdout.write(JSON.stringify({ ...result, stats: tracer.stats() }));
