// Asynchronous jobs keep their trace: the producer injects its context into the
// job's metadata (a plain object), the consumer extracts it and continues the
// trace. Once through an in-process queue, once through a JSON payload read by
// a separate Node process that ships its own spans to the real server.
//
// Note: the server completes a trace when its root span ends with no span
// running, and refuses new spans afterwards (TRACE_COMPLETED). So here the root
// stays open until the job is done; a job that runs after its trace completed
// is refused by the server today (reported to the server's owners).

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SpanKind, SpanState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { eventually } from "../../test/support/eventually.js";
import { attributesOf, getTrace, hex, spanNamed } from "../../test/support/trace-reader.js";
import { createTestDatabase, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import { getActiveBaggage, withBaggage } from "../context/active-context.js";
import { createTracer } from "../trace/create-tracer.js";
import type { Tracer } from "../trace/tracer.js";
import { Baggage } from "../w3c/baggage.js";
import { extractContext, injectContext } from "./w3c-propagator.js";

let database: TestDatabase;
let server: Traceledger;
let reader: TracingClient;
let tracer: Tracer;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer(database);
  reader = createTracingClient({ url: `http://${server.grpcAddress}` });
  tracer = createTracer({ serviceName: "shop", url: `http://${server.grpcAddress}`, env: {} });
});

afterAll(async () => {
  await tracer?.shutdown();
  reader?.close();
  await server?.stop();
  await database?.drop();
});

interface Job {
  readonly payload: { readonly reportId: string };
  readonly metadata: Record<string, string>;
}

describe("a job through an in-process queue", () => {
  it("continues the producer's trace, with its baggage, in the consumer", async () => {
    const queue: Job[] = [];
    const done = new Map<string, (value: { tenant: string | undefined }) => void>();
    // The worker polls from outside any span, as a separate consumer would.
    const worker = setInterval(() => {
      const job = queue.shift();
      if (!job) return;
      const parent = extractContext(job.metadata);
      void tracer.withSpan(
        "send email",
        async (span) => {
          span.setAttribute("report.id", job.payload.reportId);
          done.get(job.payload.reportId)?.({ tenant: getActiveBaggage()?.getValue("tenant") });
        },
        { parent, kind: "consumer" },
      );
    }, 5);
    try {
      let traceId = "";
      let producerSpanId = "";
      const seen = await withBaggage(Baggage.EMPTY.set("tenant", "acme corp"), () =>
        tracer.withSpan("checkout", async (root) => {
          traceId = root.spanContext().traceId;
          const finished = new Promise<{ tenant: string | undefined }>((resolve) => done.set("r-1", resolve));
          tracer.withSpan(
            "enqueue email",
            (producer) => {
              producerSpanId = producer.spanContext().spanId;
              const job: Job = { payload: { reportId: "r-1" }, metadata: {} };
              injectContext(job.metadata);
              queue.push(JSON.parse(JSON.stringify(job)) as Job);
            },
            { kind: "producer" },
          );
          return finished;
        }),
      );
      expect(seen.tenant).toBe("acme corp");
      await tracer.forceFlush();
      const trace = await eventually(async () => {
        const t = await getTrace(reader, traceId);
        expect(t?.spans.filter((s) => s.state === SpanState.ENDED)).toHaveLength(3);
        return t!;
      });
      const consumer = spanNamed(trace, "send email");
      expect(hex(consumer.parentSpanId)).toBe(producerSpanId);
      expect(consumer.kind).toBe(SpanKind.CONSUMER);
      expect(spanNamed(trace, "enqueue email").kind).toBe(SpanKind.PRODUCER);
    } finally {
      clearInterval(worker);
    }
  });
});

describe("a job that crosses a process boundary", () => {
  it("is continued by a worker process that extracts the context from the JSON payload", async () => {
    let traceId = "";
    let producerSpanId = "";
    const output = await withBaggage(Baggage.EMPTY.set("tenant", "acme"), () =>
      tracer.withSpan("nightly report", async (root) => {
        traceId = root.spanContext().traceId;
        const job = await tracer.withSpan(
          "enqueue report",
          (producer) => {
            producerSpanId = producer.spanContext().spanId;
            const metadata: Record<string, string> = {};
            injectContext(metadata);
            return JSON.stringify({ payload: { reportId: "rep-7" }, metadata } satisfies Job);
          },
          { kind: "producer" },
        );
        return runWorker(job, { TRACELEDGER_URL: `http://${server.grpcAddress}`, OTEL_SERVICE_NAME: "report-worker" });
      }),
    );
    expect(output.traceId).toBe(traceId);
    expect(output.stats).toMatchObject({ dropped: 0, failed: 0 });
    await tracer.forceFlush();
    const trace = await eventually(async () => {
      const t = await getTrace(reader, traceId);
      expect(t?.spans.filter((s) => s.state === SpanState.ENDED)).toHaveLength(4);
      return t!;
    });
    const processed = spanNamed(trace, "process job");
    expect(hex(processed.spanId)).toBe(output.processSpanId);
    expect(hex(processed.parentSpanId)).toBe(producerSpanId);
    expect(processed.serviceName).toBe("report-worker");
    expect(attributesOf(processed)).toMatchObject({ "report.id": "rep-7", "tenant.id": "acme" });
    const render = spanNamed(trace, "render report");
    expect(hex(render.parentSpanId)).toBe(output.processSpanId);
    expect(render.events.map((e) => e.name)).toEqual(["rendered"]);
  });
});

interface WorkerOutput {
  readonly traceId: string;
  readonly processSpanId: string;
  readonly renderSpanId: string;
  readonly stats: Record<string, number>;
}

function runWorker(job: string, env: Record<string, string>): Promise<WorkerOutput> {
  const script = fileURLToPath(new URL("../../test/support/job-worker.ts", import.meta.url));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv["NODE_OPTIONS"]; // the test runner's hooks must not reach the worker
  delete childEnv["TRACING_ENABLED"];
  delete childEnv["TRACING_SAMPLE_RATE"];
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: fileURLToPath(new URL("../..", import.meta.url)), env: childEnv, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(job);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as WorkerOutput);
    });
  });
}
