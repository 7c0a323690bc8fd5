// Load process of otlp-ingest.ts: OTLP ExportTraceServiceRequests of 512 spans
// (support/otlp-workload.ts), `lanes` requests in flight (each lane sends its
// next request when the previous one is answered), over OTLP/gRPC (a stock
// @grpc/grpc-js client, one HTTP/2 connection) or OTLP/HTTP protobuf (node:http,
// one keep-alive connection per lane). A request counts as acknowledged when the
// server answered success with no rejected spans; anything else is counted as
// an error. The request bytes are built from a template (see otlp-workload.ts),
// so the load's own CPU stays small.

import { fromBinary } from "@bufbuild/protobuf";
import { ExportTraceServiceResponseSchema } from "@traceledger/proto/otlp";
import { Agent, request as httpRequest } from "node:http";
import { randomBytes } from "node:crypto";
import { serveJobs } from "./bench-env.js";
import { grpcClient, raw, waitForReady } from "./grpc-unary.js";
import { otlpRequest, otlpTemplate, SPANS_PER_REQUEST, TRACES_PER_REQUEST } from "./otlp-workload.js";
import { percentile } from "./stats.js";

export type OtlpTransport = "grpc" | "http/protobuf";

export interface OtlpJob {
  readonly transport: OtlpTransport;
  /** host:port of the matching door. */
  readonly address: string;
  readonly lanes: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface OtlpResult {
  readonly requestBytes: number;
  readonly seconds: number;
  /** Answered inside the measured window. */
  readonly requests: number;
  readonly spans: number;
  /** Every request acknowledged, warm-up included (what the database must hold). */
  readonly requestsTotal: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly loadCores: number;
}

type Send = (body: Buffer) => Promise<Buffer>;

async function grpcSender(address: string): Promise<Send> {
  const client = grpcClient(address);
  await waitForReady(client);
  const call = raw(client, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", (b: Buffer) => b, (b) => b);
  return (body) => call(body, 60_000);
}

function httpSender(address: string, lanes: number): Send {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  const agent = new Agent({ keepAlive: true, maxSockets: lanes });
  return (body) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host, port, path: "/v1/traces", method: "POST", agent, headers: { "content-type": "application/x-protobuf", "content-length": body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const bytes = Buffer.concat(chunks);
            if (res.statusCode === 200) resolve(bytes);
            else reject(new Error(`HTTP ${res.statusCode}: ${bytes.toString("latin1").replace(/[^\x20-\x7e]+/g, " ").trim()}`));
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
}

async function run(job: OtlpJob): Promise<OtlpResult> {
  const send = job.transport === "grpc" ? await grpcSender(job.address) : httpSender(job.address, job.lanes);
  const template = otlpTemplate(BigInt(Date.now()) * 1_000_000n);
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const deadline = measureFrom + job.durationMs;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  const warmTimer = setTimeout(() => (cpuAtStart = process.cpuUsage()), job.warmupMs);
  let requests = 0;
  let requestsTotal = 0;
  let errors = 0;
  let firstError: string | undefined;
  const acks: number[] = [];

  const lane = async () => {
    while (performance.now() < deadline && errors < 10) {
      const body = otlpRequest(template, Array.from({ length: TRACES_PER_REQUEST }, () => randomBytes(16)));
      const sent = performance.now();
      try {
        const response = fromBinary(ExportTraceServiceResponseSchema, await send(body));
        if (response.partialSuccess && response.partialSuccess.rejectedSpans > 0n) {
          throw new Error(`${response.partialSuccess.rejectedSpans} spans rejected: ${response.partialSuccess.errorMessage}`);
        }
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        continue;
      }
      const done = performance.now();
      requestsTotal++;
      if (sent >= measureFrom && done <= deadline) acks.push(done - sent);
      if (done >= measureFrom && done <= deadline) requests++;
    }
  };
  await Promise.all(Array.from({ length: job.lanes }, lane));
  clearTimeout(warmTimer);
  const seconds = (Math.min(performance.now(), deadline) - measureFrom) / 1000;
  const cpu = cpuAtStart ? process.cpuUsage(cpuAtStart) : { user: NaN, system: NaN };
  return {
    requestBytes: template.bytes.length,
    seconds,
    requests,
    spans: requests * SPANS_PER_REQUEST,
    requestsTotal,
    errors,
    firstError,
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    loadCores: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}

serveJobs<OtlpJob, OtlpResult>({ ready: true }, run);
