// Load process of ingest-throughput.ts: IngestBatch calls through a stock
// @grpc/grpc-js client, `lanes` batches in flight (each lane sends its next
// batch when the previous one is answered).
//
// The client's own CPU must not starve the server on a small machine, so a
// batch is encoded once with protobuf-es as a template, and each call copies the
// template and writes fresh trace ids at the offsets where the template's ids
// are (the server receives exactly what protobuf-es would encode). Responses are
// read with a minimal wire reader: per command, ok or error, and the trace's
// stream version after it. Events acknowledged = for each trace, the highest
// version acknowledged (a stream's version counts its events).

import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { IngestBatchRequestSchema, IngestBatchResponseSchema } from "@traceledger/proto";
import type { Client } from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { serveJobs } from "./bench-env.js";
import { grpcClient, raw, TRACING, waitForReady } from "./grpc-unary.js";
import { batchShape, TRACES_PER_BATCH, type Layout } from "./ingest-workload.js";
import { percentile } from "./stats.js";

export interface IngestJob {
  readonly address: string;
  readonly layout: Layout;
  readonly lanes: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** A bound on batches per lane (warm-up included). */
  readonly maxBatchesPerLane: number;
}

export interface IngestResult {
  readonly commandsPerBatch: number;
  readonly requestBytes: number;
  readonly seconds: number;
  /** Answered inside the measured window. */
  readonly batches: number;
  readonly commands: number;
  readonly events: number;
  /** Everything acknowledged, warm-up included (what the database must hold). */
  readonly eventsTotal: number;
  readonly commandErrors: number;
  readonly callErrors: number;
  readonly firstError: string | undefined;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly loadCores: number;
}

/** Where each template trace id and span time sits in the encoded request. */
interface Template {
  readonly bytes: Buffer;
  /** offsets[slot] = byte offsets of that slot's trace id. */
  readonly offsets: number[][];
  /** Per command, its trace slot. */
  readonly slots: number[];
  /** The template's time origin, and where each fixed64 time (t0 + a few ms) sits. */
  readonly t0: bigint;
  readonly times: Array<{ at: number; value: bigint }>;
}

/** Span times in the workload are t0 plus at most this many milliseconds. */
const TIME_SPAN_MS = 30;

function template(layout: Layout, withEnds: boolean, t0: bigint): Template {
  const fresh = Array.from({ length: TRACES_PER_BATCH }, () => randomBytes(16));
  const ending = withEnds && layout === "lifecycle" ? Array.from({ length: TRACES_PER_BATCH }, () => randomBytes(16)) : [];
  const shape = batchShape(layout, fresh, ending, t0);
  const bytes = Buffer.from(toBinary(IngestBatchRequestSchema, { $typeName: "traceledger.v1.IngestBatchRequest", commands: shape.commands }));
  const offsets = [...fresh, ...ending].map((id) => {
    const found: number[] = [];
    for (let at = bytes.indexOf(id); at >= 0; at = bytes.indexOf(id, at + 16)) found.push(at);
    return found;
  });
  const times: Array<{ at: number; value: bigint }> = [];
  for (let ms = 0; ms <= TIME_SPAN_MS; ms++) {
    const value = t0 + BigInt(ms) * 1_000_000n;
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(value);
    for (let at = bytes.indexOf(le); at >= 0; at = bytes.indexOf(le, at + 8)) times.push({ at, value });
  }
  return { bytes, offsets, slots: shape.slots, t0, times };
}

/**
 * A request from the template with these trace ids, its span times moved to
 * now: the monitoring saga flags spans open longer than 5 s by their start
 * time, so times fixed at the start of a 30 s run would make every open span
 * of the lifecycle layout "slow" and bury the server in alerts no real client causes.
 */
function fill(t: Template, ids: readonly Buffer[]): Buffer {
  const out = Buffer.from(t.bytes);
  t.offsets.forEach((offsets, slot) => {
    for (const at of offsets) ids[slot]!.copy(out, at);
  });
  const shift = BigInt(Date.now()) * 1_000_000n - t.t0;
  for (const { at, value } of t.times) out.writeBigUInt64LE(value + shift, at);
  return out;
}

// ---- a minimal protobuf reader for IngestBatchResponse

interface Answer {
  /** Per command: the stream version after it, or -1 for an error. */
  readonly versions: number[];
  readonly firstError: string | undefined;
}

function varint(buf: Buffer, pos: { at: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos.at++]!;
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return result;
    shift += 7;
  }
}

function skip(buf: Buffer, pos: { at: number }, wireType: number): void {
  if (wireType === 0) varint(buf, pos);
  else if (wireType === 1) pos.at += 8;
  else if (wireType === 2) {
    const length = varint(buf, pos);
    pos.at += length;
  }
  else if (wireType === 5) pos.at += 4;
  else throw new Error(`unexpected wire type ${wireType}`);
}

export function readIngestResponse(buf: Buffer): Answer {
  const versions: number[] = [];
  let firstError: string | undefined;
  const pos = { at: 0 };
  while (pos.at < buf.length) {
    const tag = varint(buf, pos);
    if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
      skip(buf, pos, tag & 7);
      continue;
    }
    const end = varint(buf, pos) + pos.at;
    let version = 0;
    while (pos.at < end) {
      const rtag = varint(buf, pos);
      const field = rtag >>> 3;
      const innerEnd = varint(buf, pos) + pos.at;
      if (field === 7) {
        version = -1;
        if (firstError === undefined) {
          // CommandError: code = 1, reason = 2, message = 3
          const p = { at: pos.at };
          const parts: string[] = [];
          while (p.at < innerEnd) {
            const t = varint(buf, p);
            if ((t & 7) === 2) {
              const len = varint(buf, p);
              if (t >>> 3 === 2 || t >>> 3 === 3) parts.push(buf.toString("utf8", p.at, p.at + len));
              p.at += len;
            } else skip(buf, p, t & 7);
          }
          firstError = parts.join(": ");
        }
      } else {
        // trace_version: field 4 of StartTraceResponse and StartSpanResponse, field 1 of EndSpanResponse
        const versionField = field === 3 ? 1 : 4;
        const p = { at: pos.at };
        while (p.at < innerEnd) {
          const t = varint(buf, p);
          if (t >>> 3 === versionField && (t & 7) === 0) version = varint(buf, p);
          else skip(buf, p, t & 7);
        }
      }
      pos.at = innerEnd;
    }
    versions.push(version);
    pos.at = end;
  }
  return { versions, firstError };
}

/** Once per run: the reader must agree with protobuf-es. */
function checkReader(response: Buffer, answer: Answer): void {
  const decoded = fromBinary(IngestBatchResponseSchema, response);
  const expected = decoded.results.map((r) =>
    r.result.case === "error" ? -1 : r.result.case === undefined ? 0 : Number((r.result.value as { traceVersion?: bigint }).traceVersion ?? 0n),
  );
  if (expected.join(",") !== answer.versions.join(",")) throw new Error("the response reader disagrees with protobuf-es");
}

// ---- the load

const clients = new Map<string, Client>();

async function run(job: IngestJob): Promise<IngestResult> {
  let client = clients.get(job.address);
  if (!client) {
    client = grpcClient(job.address);
    await waitForReady(client);
    clients.set(job.address, client);
  }
  const ingest = raw(client, `${TRACING}/IngestBatch`, (b: Buffer) => b, (b) => b);
  const t0ns = BigInt(Date.now()) * 1_000_000n;
  const first = template(job.layout, false, t0ns);
  const steady = template(job.layout, true, t0ns);

  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const deadline = measureFrom + job.durationMs;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  const warmTimer = setTimeout(() => (cpuAtStart = process.cpuUsage()), job.warmupMs);
  let batches = 0;
  let commands = 0;
  let events = 0;
  let eventsTotal = 0;
  let commandErrors = 0;
  let callErrors = 0;
  let firstError: string | undefined;
  const acks: number[] = [];
  let checked = false;

  const lane = async () => {
    // Traces this lane started in its previous batch, with the versions acknowledged for them.
    let open: Buffer[] = [];
    let openVersions: number[] = [];
    for (let b = 0; b < job.maxBatchesPerLane && performance.now() < deadline && callErrors < 10; b++) {
      const fresh = Array.from({ length: TRACES_PER_BATCH }, () => randomBytes(16));
      const useSteady = job.layout === "lifecycle" && open.length > 0;
      const t = useSteady ? steady : first;
      const request = fill(t, useSteady ? [...fresh, ...open] : fresh);
      const sent = performance.now();
      let answer: Answer;
      try {
        const response = await ingest(request, 60_000);
        answer = readIngestResponse(response);
        if (!checked) {
          checked = true;
          checkReader(response, answer);
        }
      } catch (error) {
        callErrors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        open = [];
        openVersions = [];
        continue;
      }
      const done = performance.now();
      if (answer.versions.length !== t.slots.length) throw new Error(`expected ${t.slots.length} results, got ${answer.versions.length}`);
      const highest = new Array<number>(2 * TRACES_PER_BATCH).fill(0);
      answer.versions.forEach((v, i) => {
        if (v < 0) commandErrors++;
        else highest[t.slots[i]!] = Math.max(highest[t.slots[i]!]!, v);
      });
      firstError ??= answer.firstError;
      let acked = 0;
      for (let i = 0; i < TRACES_PER_BATCH; i++) acked += highest[i]!;
      if (useSteady) for (let i = 0; i < open.length; i++) acked += Math.max(0, highest[TRACES_PER_BATCH + i]! - openVersions[i]!);
      eventsTotal += acked;
      if (sent >= measureFrom && done <= deadline) acks.push(done - sent);
      if (done >= measureFrom && done <= deadline) {
        batches++;
        commands += t.slots.length;
        events += acked;
      }
      open = job.layout === "lifecycle" ? fresh : [];
      openVersions = highest.slice(0, TRACES_PER_BATCH);
    }
  };
  await Promise.all(Array.from({ length: job.lanes }, lane));
  clearTimeout(warmTimer);
  const seconds = (Math.min(performance.now(), deadline) - measureFrom) / 1000;
  const cpu = cpuAtStart ? process.cpuUsage(cpuAtStart) : { user: NaN, system: NaN };
  return {
    commandsPerBatch: steady.slots.length,
    requestBytes: steady.bytes.length,
    seconds,
    batches,
    commands,
    events,
    eventsTotal,
    commandErrors,
    callErrors,
    firstError,
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    loadCores: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}

serveJobs<IngestJob, IngestResult>({ ready: true }, run);
