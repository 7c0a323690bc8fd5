// Load process of list-traces.ts: ListTraces and GetTrace through a stock
// @grpc/grpc-js client (protobuf-es serialisers), one call at a time, and the
// baselines straight through postgres.js from this same process: `select 1`, the
// unfiltered ListTraces page query, and the raw read of a trace's events.
// Each case stops after `samples` calls or `maxMsPerCase`, whichever is first.
// GetTrace is also timed as of random versions (the same seeded sequence for
// every server measured), and on its very first calls (before any snapshot).

import { create, toBinary } from "@bufbuild/protobuf";
import {
  GetTraceRequestSchema,
  GetTraceResponseSchema,
  ListTracesRequestSchema,
  ListTracesResponseSchema,
  type ListTracesRequest,
} from "@traceledger/proto";
import { createPostgresClient } from "../../../apps/server/src/database/open-database.js";
import { serveJobs } from "./bench-env.js";
import { grpcClient, raw, TRACING, unary, waitForReady } from "./grpc-unary.js";
import { percentile } from "./stats.js";

/** A ListTracesRequest in JSON terms: int64 fields as decimal strings. */
export interface ListCase {
  readonly name: string;
  readonly request: {
    serviceName?: string;
    spanName?: string;
    attributes?: Array<{ key: string; value: string }>;
    status?: number;
    minDurationNano?: string;
    startTimeMinUnixNano?: string;
    startTimeMaxUnixNano?: string;
    pageSize?: number;
  };
  /** Measure page N (the pages before it are fetched untimed). Default 1. */
  readonly page?: number;
}

export interface ListJob {
  readonly address: string;
  readonly databaseUrl: string;
  readonly cases: readonly ListCase[];
  readonly traceIdHex: string;
  readonly samples: number;
  readonly warmup: number;
  readonly maxMsPerCase: number;
  /** The trace's event count: as-of reads pick versions in 1..eventCount. */
  readonly eventCount: number;
  /** Only the GetTrace cases (another server on the same data). */
  readonly getTraceOnly?: boolean;
}

export interface Latency {
  readonly name: string;
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Rows (traces, events or spans) in the last answer. */
  readonly rows: number;
}

export interface ListResult {
  readonly selectOne: Latency;
  readonly rawPage: Latency;
  readonly cases: Latency[];
  readonly rawEvents: Latency;
  readonly getTrace: Latency;
  /** GetTrace with the response left as bytes: the client's decoding is not in the time. */
  readonly getTraceBytes: Latency;
  readonly responseBytes: number;
  /** As of random versions, response left as bytes, and decoded. */
  readonly asOfBytes: Latency;
  readonly asOf: Latency;
  /** The first GetTrace calls of this process: as of a version, then now (before any warm-up). */
  readonly firstCalls: { asOf: number; now: number };
  /** Now and as of random versions, left as bytes, by a client with a 4 MiB HTTP/2 flow-control window. */
  readonly wideWindow: { now: Latency; asOf: Latency };
}

async function sample(name: string, job: ListJob, call: () => Promise<number>): Promise<Latency> {
  for (let i = 0; i < job.warmup; i++) await call();
  const times: number[] = [];
  let rows = 0;
  const end = performance.now() + job.maxMsPerCase;
  while (times.length < job.samples && performance.now() < end) {
    const t = performance.now();
    rows = await call();
    times.push(performance.now() - t);
  }
  return { name, n: times.length, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), rows };
}

function request(c: ListCase, pageToken = ""): ListTracesRequest {
  const r = c.request;
  return create(ListTracesRequestSchema, {
    pageSize: r.pageSize ?? 0,
    pageToken,
    serviceName: r.serviceName ?? "",
    spanName: r.spanName ?? "",
    attributes: (r.attributes ?? []).map((a) => ({ key: a.key, value: { value: { case: "stringValue" as const, value: a.value } } })),
    status: r.status ?? 0,
    minDurationNano: BigInt(r.minDurationNano ?? "0"),
    startTimeMinUnixNano: BigInt(r.startTimeMinUnixNano ?? "0"),
    startTimeMaxUnixNano: BigInt(r.startTimeMaxUnixNano ?? "0"),
  });
}

/** The same pseudo-random versions on every run (a linear congruential sequence). */
function versionSequence(count: number, max: number): number[] {
  let x = 12345;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return 1 + (x % max);
  });
}

async function run(job: ListJob): Promise<ListResult> {
  const client = grpcClient(job.address);
  await waitForReady(client);
  const sql = createPostgresClient(job.databaseUrl, { max: 1, applicationName: "traceledger-bench-load" });
  try {
    const listTraces = unary(client, `${TRACING}/ListTraces`, ListTracesRequestSchema, ListTracesResponseSchema);
    const getTrace = unary(client, `${TRACING}/GetTrace`, GetTraceRequestSchema, GetTraceResponseSchema);
    const getTraceRaw = raw(client, `${TRACING}/GetTrace`, (m: ReturnType<typeof create<typeof GetTraceRequestSchema>>) => Buffer.from(toBinary(GetTraceRequestSchema, m)), (b) => b);
    const traceId = Buffer.from(job.traceIdHex, "hex");
    const asOfRequest = (version: number) => create(GetTraceRequestSchema, { traceId, asOf: { case: "asOfVersion", value: BigInt(version) } });

    // Before anything else touches the trace: no snapshot exists, nothing is cached.
    let t = performance.now();
    await getTraceRaw(asOfRequest(Math.ceil(job.eventCount / 2)));
    const firstAsOf = performance.now() - t;
    t = performance.now();
    await getTraceRaw(create(GetTraceRequestSchema, { traceId }));
    const firstCalls = { asOf: firstAsOf, now: performance.now() - t };

    const versions = versionSequence(job.warmup + job.samples, job.eventCount);
    let next = 0;
    const asOfBytes = await sample("GetTrace as of random versions, response not decoded", job, async () => (await getTraceRaw(asOfRequest(versions[next++ % versions.length]!))).length);
    next = 0;
    const asOf = await sample("GetTrace as of random versions", job, async () => (await getTrace(asOfRequest(versions[next++ % versions.length]!))).trace?.spans.length ?? 0);

    const getTraceLatency = await sample("GetTrace over gRPC", job, async () => {
      const response = await getTrace(create(GetTraceRequestSchema, { traceId }));
      return response.trace?.spans.length ?? 0;
    });
    const getTraceBytes = await sample("GetTrace over gRPC, response not decoded", job, async () => (await getTraceRaw(create(GetTraceRequestSchema, { traceId }))).length);
    const responseBytes = toBinary(GetTraceResponseSchema, await getTrace(create(GetTraceRequestSchema, { traceId }))).length;
    const rawEvents = await sample("raw read of the trace's events", job, async () => {
      const rows = await sql`
        select trace_id, version, event_id, type, payload, occurred_at, recorded_at, position
          from events where trace_id = ${traceId} and version > ${0} order by version`;
      return rows.length;
    });
    // grpc-js clients open with HTTP/2's 64 KiB window: a 278 KB answer waits for window updates.
    const wide = grpcClient(job.address, { "grpc-node.flow_control_window": 4 * 1024 * 1024 });
    await waitForReady(wide);
    const wideRaw = raw(wide, `${TRACING}/GetTrace`, (m: ReturnType<typeof create<typeof GetTraceRequestSchema>>) => Buffer.from(toBinary(GetTraceRequestSchema, m)), (b) => b);
    next = 0;
    const wideWindow = {
      now: await sample("GetTrace, response not decoded, 4 MiB flow-control window", job, async () => (await wideRaw(create(GetTraceRequestSchema, { traceId }))).length),
      asOf: await sample("GetTrace as of random versions, not decoded, 4 MiB flow-control window", job, async () => (await wideRaw(asOfRequest(versions[next++ % versions.length]!))).length),
    };
    wide.close();
    const gets = { rawEvents, getTrace: getTraceLatency, getTraceBytes, responseBytes, asOfBytes, asOf, firstCalls, wideWindow };
    const none: Latency = { name: "", n: 0, p50: NaN, p95: NaN, p99: NaN, rows: 0 };
    if (job.getTraceOnly) return { selectOne: none, rawPage: none, cases: [], ...gets };

    const selectOne = await sample("select 1", job, async () => (await sql`select 1`).length);
    // The query the server issues for an unfiltered first page (postgres-trace-listing.ts), same text and parameters.
    const rawPage = await sample("unfiltered page query", job, async () => {
      const rows = await sql`
        select t.trace_id, t.state, t.start_time, t.end_time, t.root_name, t.root_service_name,
               t.span_count, t.error_count, t.running_span_count, t.service_names
          from trace_summaries t
         where true
         order by coalesce(t.listed_start_time, t.start_time) desc nulls last, t.trace_id desc nulls last
         limit ${51}`;
      return rows.length;
    });

    const cases: Latency[] = [];
    for (const c of job.cases) {
      const page = c.page ?? 1;
      let token = "";
      // Pages before the measured one: fetched once per sample, untimed.
      const before = async () => {
        token = "";
        for (let p = 1; p < page; p++) token = (await listTraces(request(c, token))).nextPageToken;
      };
      if (page > 1) {
        // Time only page N: fetch the earlier pages outside the timed call.
        for (let i = 0; i < job.warmup; i++) {
          await before();
          await listTraces(request(c, token));
        }
        const times: number[] = [];
        let rows = 0;
        const end = performance.now() + job.maxMsPerCase;
        while (times.length < job.samples && performance.now() < end) {
          await before();
          const t = performance.now();
          rows = (await listTraces(request(c, token))).traces.length;
          times.push(performance.now() - t);
        }
        cases.push({ name: c.name, n: times.length, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), rows });
      } else {
        cases.push(await sample(c.name, job, async () => (await listTraces(request(c))).traces.length));
      }
    }

    return { selectOne, rawPage, cases, ...gets };
  } finally {
    client.close();
    await sql.end({ timeout: 5 });
  }
}

serveJobs<ListJob, ListResult>({ ready: true }, run);
