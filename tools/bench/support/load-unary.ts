// Load process of unary-latency.ts: unary StartTrace / StartSpan / EndSpan calls
// through a stock @grpc/grpc-js client with protobuf-es serialisers, `concurrency`
// calls in flight. Each in-flight slot runs traces one after the other: StartTrace
// (the root), then `childrenPerTrace` StartSpan + EndSpan pairs with client-chosen
// span ids, then EndSpan of the root.
//
// The same code drives traceledger and the echo baseline (which serves the same
// paths). Calls that start during the warm-up are not measured; the phase stops by
// itself at its deadline or after maxCalls.

import { create, toBinary } from "@bufbuild/protobuf";
import {
  EndSpanRequestSchema,
  EndSpanResponseSchema,
  KeyValueSchema,
  SpanKind,
  StartSpanRequestSchema,
  StartSpanResponseSchema,
  StartTraceRequestSchema,
  StartTraceResponseSchema,
  StatusCode,
  type KeyValue,
} from "@traceledger/proto";
import type { Client } from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { serveJobs } from "./bench-env.js";
import { grpcClient, TRACING, unary, waitForReady } from "./grpc-unary.js";
import { percentile } from "./stats.js";

export interface UnaryJob {
  readonly address: string;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxCalls: number;
  readonly childrenPerTrace: number;
}

export interface UnaryResult {
  readonly calls: number;
  /** Every call answered, warm-up included. */
  readonly allCalls: number;
  readonly pairs: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly requestBytes: Record<string, number>;
  /** The load process's own CPU per wall second while measuring. */
  readonly loadCores: number;
}

const str = (key: string, value: string): KeyValue => create(KeyValueSchema, { key, value: { value: { case: "stringValue", value } } });
const int = (key: string, value: bigint): KeyValue => create(KeyValueSchema, { key, value: { value: { case: "intValue", value } } });

const rootRequest = (traceId: Uint8Array, spanId: Uint8Array) =>
  create(StartTraceRequestSchema, {
    traceId,
    spanId,
    name: "POST /checkout",
    kind: SpanKind.SERVER,
    serviceName: "checkout",
    attributes: [str("http.request.method", "POST"), str("url.path", "/checkout"), str("server.address", "shop.internal"), str("user_agent.original", "bench/1.0")],
    scopeName: "@opentelemetry/instrumentation-http",
  });
const childRequest = (traceId: Uint8Array, spanId: Uint8Array, parentSpanId: Uint8Array, k: number) =>
  create(StartSpanRequestSchema, {
    traceId,
    spanId,
    parentSpanId,
    name: ["SELECT orders", "GET /inventory/{sku}", "publish order.created", "redis GET cart"][k % 4]!,
    kind: SpanKind.CLIENT,
    serviceName: "checkout",
    attributes: [str("db.system", "postgresql"), str("server.address", "orders-db.internal"), int("server.port", 5432n)],
    scopeName: "@opentelemetry/instrumentation-pg",
  });
const endRequest = (traceId: Uint8Array, spanId: Uint8Array) =>
  create(EndSpanRequestSchema, { traceId, spanId, status: { code: StatusCode.OK } });

const clients = new Map<string, Client>();

async function run(job: UnaryJob): Promise<UnaryResult> {
  let client = clients.get(job.address);
  if (!client) {
    client = grpcClient(job.address);
    await waitForReady(client);
    clients.set(job.address, client);
  }
  const startTrace = unary(client, `${TRACING}/StartTrace`, StartTraceRequestSchema, StartTraceResponseSchema);
  const startSpan = unary(client, `${TRACING}/StartSpan`, StartSpanRequestSchema, StartSpanResponseSchema);
  const endSpan = unary(client, `${TRACING}/EndSpan`, EndSpanRequestSchema, EndSpanResponseSchema);

  const t0 = performance.now();
  const measureFrom = t0 + job.warmupMs;
  const deadline = measureFrom + job.durationMs;
  const latencies: number[] = [];
  let calls = 0;
  let allCalls = 0;
  let pairs = 0;
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  const warmTimer = setTimeout(() => (cpuAtStart = process.cpuUsage()), job.warmupMs);
  let stop = false;

  // Times one call; counts it when it started inside the measured window.
  const timed = async <T>(call: () => Promise<T>, isPairEnd = false): Promise<T | undefined> => {
    const begin = performance.now();
    started++;
    try {
      const response = await call();
      const end = performance.now();
      allCalls++;
      if (begin >= measureFrom && end <= deadline) {
        latencies.push(end - begin);
        calls++;
        if (isPairEnd) pairs++;
      }
      return response;
    } catch (error) {
      errors++;
      firstError ??= error instanceof Error ? error.message : String(error);
      return undefined;
    } finally {
      const now = performance.now();
      if (now >= deadline || started >= job.maxCalls || errors > 100) stop = true;
    }
  };

  const worker = async () => {
    while (!stop) {
      const traceId = randomBytes(16);
      const rootId = randomBytes(8);
      if ((await timed(() => startTrace(rootRequest(traceId, rootId)))) === undefined) continue;
      for (let k = 0; k < job.childrenPerTrace && !stop; k++) {
        const spanId = randomBytes(8);
        if ((await timed(() => startSpan(childRequest(traceId, spanId, rootId, k)))) === undefined) continue;
        await timed(() => endSpan(endRequest(traceId, spanId)), true);
      }
      if (!stop) await timed(() => endSpan(endRequest(traceId, rootId)));
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  clearTimeout(warmTimer);
  const measuredEnd = Math.min(performance.now(), deadline);
  const seconds = (measuredEnd - measureFrom) / 1000;
  const cpu = cpuAtStart ? process.cpuUsage(cpuAtStart) : { user: NaN, system: NaN };
  const id = new Uint8Array(16).fill(7);
  const span = new Uint8Array(8).fill(9);
  return {
    calls,
    allCalls,
    pairs,
    errors,
    firstError,
    seconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    requestBytes: {
      StartTrace: toBinary(StartTraceRequestSchema, rootRequest(id, span)).length,
      StartSpan: toBinary(StartSpanRequestSchema, childRequest(id, span, span, 0)).length,
      EndSpan: toBinary(EndSpanRequestSchema, endRequest(id, span)).length,
    },
    loadCores: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}

serveJobs<UnaryJob, UnaryResult>({ ready: true }, run);
