// The SDK's cost to the application: CPU time per span on the application's own
// process, for @traceledger/sdk in batching mode (its default) shipping to a
// real traceledger server, beside OpenTelemetry's sdk-trace-base with a
// BatchSpanProcessor and the OTLP/HTTP protobuf exporter on the same workload,
// in the same run, and beside a baseline that runs the same loop without tracing.
//
//   npx tsx tools/bench/sdk-overhead.ts [--quick] [--rounds=N] [--spans=N] [--rate=N] [--tick=MS]
//
// Processes (all over loopback): this script (orchestration only); the
// traceledger server (startTraceledger on PostgreSQL: DATABASE_URL's cluster, or
// an embedded one in a temporary folder); an OTLP sink that accepts
// POST /v1/traces and answers 200 at once, so both pipelines pay their export;
// and one fresh measuring process per round and pipeline, the order alternating
// from round to round. This same file plays every role (--role=...).
//
// The workload, identical for both SDKs: a root span named "GET /users/:id",
// kind SERVER, three attributes at start, one more set before the end, then end.
// Spans are made at a steady rate (default 2,000/s, a chunk every 100 ms: a rate
// the server keeps up with on a shared 2-core machine, so nothing is dropped)
// while each pipeline ships in the background on its own schedule: ours with
// its defaults (IngestBatch of up to 1,024 commands, every 200 ms, queue 10,000),
// OpenTelemetry's BatchSpanProcessor with the same queue and interval and its
// default batch of 512 spans. The window ends with a flush, so every span's
// export is inside it. Measured per span: the whole process's CPU time
// (process.cpuUsage: all threads, so encoding, export and GC count) and the hot
// path alone (CPU spent in the synchronous span calls). Each measuring process
// first warms up on 2,000 spans.
//
// Target: ours at most OpenTelemetry's CPU per span.

import { fork, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, chmod } from "node:fs/promises";
import { createServer } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./support/stats.js";

const SELF = fileURLToPath(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const role = args.get("role") ?? "orchestrator";
/** Spans per second, a rate the server keeps up with on a shared 2-core machine. */
const RATE = Number(args.get("rate") ?? 2_000);
const TICK_MS = Number(args.get("tick") ?? 100);
const WARMUP = 2_000;
const ATTRIBUTES = { "http.request.method": "GET", "http.route": "/users/:id", "user.id": "u-12345" };

interface Measurement {
  readonly pipeline: "traceledger" | "opentelemetry" | "baseline";
  readonly spans: number;
  readonly cpuUsPerSpan: number;
  readonly hotPathUsPerSpan: number;
  readonly wallMs: number;
  readonly exported: number;
  readonly dropped: number;
  readonly failed: number;
  readonly batches: number;
}

switch (role) {
  case "server":
    await runServer();
    break;
  case "otlp-sink":
    await runOtlpSink();
    break;
  case "traceledger":
    await measureTraceledger(Number(args.get("spans")), String(args.get("url")));
    break;
  case "opentelemetry":
    await measureOpenTelemetry(Number(args.get("spans")), String(args.get("url")));
    break;
  case "baseline":
    await measureBaseline(Number(args.get("spans")));
    break;
  default:
    await orchestrate();
}

// ------------------------------------------------------------------ measuring

/** A span source and its pipeline's flush, the same shape for both SDKs. */
interface Pipeline {
  makeSpan(): void;
  flush(): Promise<void>;
}

/**
 * Makes `count` spans at RATE per second, a chunk every TICK_MS, and flushes at
 * the end. Returns the CPU time of the whole process and of the span calls alone.
 */
async function paced(pipeline: Pipeline, count: number): Promise<{ cpu: number; hot: number; wallMs: number }> {
  const perTick = Math.round((RATE * TICK_MS) / 1000);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let hot = 0;
  for (let made = 0, tick = 1; made < count; tick++) {
    const h0 = process.cpuUsage();
    const n = Math.min(perTick, count - made);
    for (let i = 0; i < n; i++) pipeline.makeSpan();
    hot += cpuMicros(h0);
    made += n;
    const wait = t0 + tick * TICK_MS - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  await pipeline.flush();
  return { cpu: cpuMicros(c0), hot, wallMs: performance.now() - t0 };
}

async function measureTraceledger(spans: number, url: string): Promise<void> {
  const { createTracer } = await import("../../packages/sdk/src/index.js");
  const tracer = createTracer({ serviceName: "bench", url, env: {} });
  const pipeline: Pipeline = {
    makeSpan() {
      const span = tracer.startSpan("GET /users/:id", { kind: "server", attributes: ATTRIBUTES });
      span.setAttribute("http.response.status_code", 200);
      span.end();
    },
    flush: () => tracer.forceFlush(60_000),
  };
  await paced(pipeline, WARMUP);
  const before = tracer.stats();
  const { cpu, hot, wallMs } = await paced(pipeline, spans);
  const after = tracer.stats();
  await tracer.shutdown();
  report({
    pipeline: "traceledger",
    spans,
    cpuUsPerSpan: cpu / spans,
    hotPathUsPerSpan: hot / spans,
    wallMs,
    exported: (after.sent - before.sent) / 2, // a span is two commands: start and end
    dropped: after.dropped - before.dropped,
    failed: after.failed - before.failed,
    batches: after.rpcs - before.rpcs,
  });
}

async function measureOpenTelemetry(spans: number, url: string): Promise<void> {
  const { SpanKind } = await import("@opentelemetry/api");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  const { resourceFromAttributes } = await import("@opentelemetry/resources");
  type Exporter = InstanceType<typeof OTLPTraceExporter>;
  const exporter: Exporter = new OTLPTraceExporter({ url: `${url}/v1/traces` });
  // Counts what the exporter was given and what it reported as failed.
  let exported = 0;
  let failed = 0;
  let batches = 0;
  const counting = {
    export: (items: Parameters<Exporter["export"]>[0], done: Parameters<Exporter["export"]>[1]) => {
      batches++;
      exporter.export(items, (result) => {
        if (result.code === 0) exported += items.length;
        else failed += items.length;
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
  // The same queue bound and interval as ours; OTel's default batch of 512 spans.
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "bench" }),
    spanProcessors: [new BatchSpanProcessor(counting, { maxQueueSize: 10_000, maxExportBatchSize: 512, scheduledDelayMillis: 200 })],
  });
  const tracer = provider.getTracer("bench");
  const pipeline: Pipeline = {
    makeSpan() {
      const span = tracer.startSpan("GET /users/:id", { kind: SpanKind.SERVER, attributes: ATTRIBUTES });
      span.setAttribute("http.response.status_code", 200);
      span.end();
    },
    flush: () => provider.forceFlush(),
  };
  await paced(pipeline, WARMUP);
  const before = { exported, failed, batches };
  const { cpu, hot, wallMs } = await paced(pipeline, spans);
  const calls = batches;
  await provider.shutdown(); // exports finishing after the window still count as exported
  const after = { exported, failed, batches: calls };
  report({
    pipeline: "opentelemetry",
    spans,
    cpuUsPerSpan: cpu / spans,
    hotPathUsPerSpan: hot / spans,
    wallMs,
    exported: after.exported - before.exported,
    dropped: spans - (after.exported - before.exported) - (after.failed - before.failed),
    failed: after.failed - before.failed,
    batches: after.batches - before.batches,
  });
}

/** The same paced loop with no tracing at all: what the harness itself costs per span. */
async function measureBaseline(spans: number): Promise<void> {
  let sink = 0;
  const pipeline: Pipeline = {
    makeSpan() {
      sink += ATTRIBUTES["user.id"].length;
    },
    flush: async () => {},
  };
  await paced(pipeline, WARMUP);
  const { cpu, hot, wallMs } = await paced(pipeline, spans);
  report({ pipeline: "baseline", spans, cpuUsPerSpan: cpu / spans, hotPathUsPerSpan: hot / spans, wallMs, exported: 0, dropped: sink < 0 ? 1 : 0, failed: 0, batches: 0 });
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

function report(measurement: Measurement): void {
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

// ------------------------------------------------------------------ helpers

async function runServer(): Promise<void> {
  const { loadConfig } = await import("../../apps/server/src/config/server-config.js");
  const { createLogger } = await import("../../apps/server/src/log/logger.js");
  const { startTraceledger } = await import("../../apps/server/src/server/start-traceledger.js");
  const server = await startTraceledger(
    loadConfig({
      DATABASE_URL: String(args.get("database-url")),
      TRACELEDGER_HOST: "127.0.0.1",
      TRACELEDGER_GRPC_PORT: "0",
      TRACELEDGER_HTTP_PORT: "0",
      TRACELEDGER_SHUTDOWN_GRACE_MS: "2000",
      TRACELEDGER_LOG_LEVEL: "error",
    }),
    createLogger("error"),
  );
  process.send?.({ url: `http://${server.grpcAddress}`, httpUrl: `http://${server.httpAddress}` });
  process.once("message", () => void server.stop().then(() => process.exit(0)));
}

async function runOtlpSink(): Promise<void> {
  const server = createServer((request, response) => {
    request.resume();
    request.once("end", () => {
      response.writeHead(request.method === "POST" && request.url === "/v1/traces" ? 200 : 404, { "content-type": "application/x-protobuf" });
      response.end();
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    process.send?.({ url: `http://127.0.0.1:${address.port}` });
  });
  process.once("message", () => server.close(() => process.exit(0)));
}

/** Forks this file in `childRole`; resolves with its first IPC message. */
async function startHelper(childRole: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(SELF, [`--role=${childRole}`, ...extra], { cwd: REPO_ROOT, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [message] = (await once(child, "message")) as [{ url: string }];
  return { child, url: message.url };
}

async function stopHelper(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.send({ stop: true });
  await exited;
}

/** Runs one measuring process and returns what it printed. */
async function measure(pipeline: Measurement["pipeline"], spans: number, url: string): Promise<Measurement> {
  const child = spawn(process.execPath, ["--import", "tsx", SELF, `--role=${pipeline}`, `--spans=${spans}`, `--url=${url}`, `--rate=${RATE}`, `--tick=${TICK_MS}`], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${pipeline} measurement exited with ${code}`);
  return JSON.parse(out.trim().split("\n").pop()!) as Measurement;
}

async function orchestrate(): Promise<void> {
  const quick = args.has("quick");
  const rounds = Number(args.get("rounds") ?? (quick ? 2 : 3));
  const spans = Number(args.get("spans") ?? (quick ? 6_000 : 20_000));
  const { startEmbeddedDatabase, randomDatabaseName } = await import("../../apps/server/src/database/embedded-database.js");
  const { ensureDatabase } = await import("../../apps/server/src/database/open-database.js");

  let folder: string | undefined;
  let stopDatabase = async () => {};
  let databaseUrl: string;
  const external = process.env["DATABASE_URL"];
  if (external) {
    const name = randomDatabaseName("tl_sdk_bench");
    await ensureDatabase(external, name);
    const url = new URL(external);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  } else {
    folder = await mkdtemp(path.join(tmpdir(), "traceledger-sdk-bench-"));
    await chmod(folder, 0o755); // as root, PostgreSQL runs as its own user
    const database = await startEmbeddedDatabase({ dataDir: path.join(folder, "data") });
    await ensureDatabase(database.url(), "bench");
    databaseUrl = database.url("bench");
    stopDatabase = () => database.stop();
  }

  const server = await startHelper("server", [`--database-url=${databaseUrl}`]);
  const sink = await startHelper("otlp-sink");
  const results: Measurement[] = [];
  try {
    console.error(`sdk-overhead: ${rounds} rounds of ${spans} spans per pipeline at ${RATE} spans/s (load average ${loadavg().map((l) => l.toFixed(1)).join(" ")})`);
    for (let round = 0; round < rounds; round++) {
      const order: Array<Measurement["pipeline"]> = round % 2 === 0 ? ["baseline", "traceledger", "opentelemetry"] : ["opentelemetry", "traceledger", "baseline"];
      for (const pipeline of order) {
        const result = await measure(pipeline, spans, pipeline === "traceledger" ? server.url : sink.url);
        results.push(result);
        console.error(
          `  round ${round + 1} ${pipeline.padEnd(13)} ${result.cpuUsPerSpan.toFixed(2)} us CPU/span (hot path ${result.hotPathUsPerSpan.toFixed(2)}), ` +
            `${result.exported} exported, ${result.dropped} dropped, ${result.failed} failed, ${result.batches} calls, ${(result.wallMs / 1000).toFixed(1)} s`,
        );
      }
    }
  } finally {
    await stopHelper(sink.child);
    await stopHelper(server.child);
    await stopDatabase();
    if (folder) await rm(folder, { recursive: true, force: true });
  }

  const summary = (pipeline: Measurement["pipeline"]) => {
    const rows = results.filter((r) => r.pipeline === pipeline);
    const cpu = rows.map((r) => r.cpuUsPerSpan);
    const hot = rows.map((r) => r.hotPathUsPerSpan);
    return {
      cpu: median(cpu),
      cpuMin: Math.min(...cpu),
      cpuMax: Math.max(...cpu),
      hot: median(hot),
      hotMin: Math.min(...hot),
      hotMax: Math.max(...hot),
      lost: rows.reduce((sum, r) => sum + r.dropped + r.failed, 0),
      exported: rows.reduce((sum, r) => sum + r.exported, 0),
    };
  };
  const ours = summary("traceledger");
  const otel = summary("opentelemetry");
  const base = summary("baseline");
  const cpuModel = cpus()[0]?.model ?? "unknown CPU";
  console.log(`\n${cpus().length} x ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${rounds} rounds x ${spans} spans at ${RATE} spans/s; medians (min-max)\n`);
  console.log("| pipeline | CPU per span, all threads | hot path per span | spans exported | lost |");
  console.log("|---|---:|---:|---:|---:|");
  const row = (name: string, s: ReturnType<typeof summary>) =>
    console.log(`| ${name} | ${s.cpu.toFixed(2)} us (${s.cpuMin.toFixed(2)}-${s.cpuMax.toFixed(2)}) | ${s.hot.toFixed(2)} us (${s.hotMin.toFixed(2)}-${s.hotMax.toFixed(2)}) | ${s.exported} | ${s.lost} |`);
  row("@traceledger/sdk, batching (IngestBatch over gRPC)", ours);
  row("OpenTelemetry BatchSpanProcessor + OTLP/HTTP proto", otel);
  row("baseline: the same loop, no tracing", base);
  console.log(`\nabove the baseline: ours ${(ours.cpu - base.cpu).toFixed(2)} us, OpenTelemetry ${(otel.cpu - base.cpu).toFixed(2)} us per span`);
  console.log(`\nours / OpenTelemetry, CPU per span: ${(ours.cpu / otel.cpu).toFixed(2)} (target <= 1.00): ${ours.cpu <= otel.cpu ? "met" : "NOT met"}`);
}
