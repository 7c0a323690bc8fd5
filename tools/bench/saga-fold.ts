// The monitoring saga's fold alone, in this process: what every replica pays
// per event of the log on its main thread, without the read (readAll) or the
// database.
//
//   npx tsx tools/bench/saga-fold.ts [--quick] [--alloc]
//
// The log: the ingest benchmark's "lifecycle" workload (4 lanes; each batch
// starts 50 traces and ends the 50 its lane started before; 12 events per trace,
// payloads as the server encodes them, from pg-ceiling's serverEventsOfOneTrace),
// recorded 5 ms apart per batch, payloads as views into one buffer per 5,000
// events as readAll returns them. Folded with the runner's own SagaFold (decode,
// decide, evolve, ticks as a replay gives them) from a fresh state each round,
// rounds alternating with the two decoders alone (the saga's reader and the
// shared whole-message reader with attributes skipped) as a yardstick.
// Reports CPU per event (process.cpuUsage, min and median over rounds). --alloc
// also samples allocations (V8's sampling heap profiler, objects collected by
// GC included) over one more fold and reports bytes allocated per event and
// where. No figure is asserted; the saga decides nothing for this load (checked).

import { randomBytes } from "node:crypto";
import { Session } from "node:inspector/promises";
import { monitoringConfig } from "../../apps/server/src/domain/monitoring/index.js";
import { bytesToHex } from "../../apps/server/src/domain/trace/w3c-ids.js";
import type { StoredEvent } from "../../apps/server/src/event-store/event-store.js";
import { decodeTraceEvent } from "../../apps/server/src/events/trace-event-codec.js";
import { readSagaEvent } from "../../apps/server/src/monitoring/saga-event-reader.js";
import { SagaFold } from "../../apps/server/src/monitoring/saga-fold.js";
import { machineLine, num } from "./support/bench-env.js";
import { TRACES_PER_BATCH } from "./support/ingest-workload.js";
import { serverEventsOfOneTrace } from "./support/pg-ceiling.js";

const quick = process.argv.includes("--quick");
const alloc = process.argv.includes("--alloc");
const LANES = 4;
const BATCHES_PER_LANE = quick ? 40 : 100;
const ROUNDS = quick ? 5 : 9;
const PAGE = 5000;
const TICK_NS = 1_000_000_000n;

function lifecycleLog(): StoredEvent[] {
  const events: StoredEvent[] = [];
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const lanes = Array.from({ length: LANES }, () => ({ open: [] as string[], ends: serverEventsOfOneTrace(t0).ends }));
  let position = 0n;
  for (let b = 0; b < BATCHES_PER_LANE; b++) {
    for (const [l, lane] of lanes.entries()) {
      const at = t0 + BigInt(b * LANES + l) * 5_000_000n;
      const trace = serverEventsOfOneTrace(at);
      const fresh = Array.from({ length: TRACES_PER_BATCH }, () => bytesToHex(randomBytes(16)));
      const add = (streamId: string, e: { type: string; payload: Uint8Array; occurredAt: bigint }, version: number) =>
        events.push({ streamId, version, eventId: "", type: e.type, payload: e.payload, occurredAt: e.occurredAt, position: ++position, recordedAt: at });
      for (const id of fresh) trace.starts.forEach((e, i) => add(id, e, i + 1));
      for (const id of lane.open) lane.ends.forEach((e, i) => add(id, e, trace.starts.length + i + 1));
      lane.open = fresh;
      lane.ends = trace.ends;
    }
  }
  // As readAll returns them: one buffer per page, payloads are views into it.
  for (let first = 0; first < events.length; first += PAGE) {
    const page = events.slice(first, first + PAGE);
    const buffer = Buffer.concat(page.map((e) => e.payload));
    let at = 0;
    page.forEach((e, i) => {
      events[first + i] = { ...e, payload: new Uint8Array(buffer.buffer, buffer.byteOffset + at, e.payload.length) };
      at += e.payload.length;
    });
  }
  return events;
}

function fold(events: readonly StoredEvent[]): void {
  const saga = new SagaFold(monitoringConfig(), TICK_NS);
  const out: Parameters<SagaFold["event"]>[1] = [];
  // Indexed, as the runner does (for-of allocated an iterator result per event).
  for (let i = 0; i < events.length; i++) saga.event(events[i]!, out);
  if (out.length > 0) throw new Error(`the saga decided ${out.length} outputs for a load that should raise nothing`);
}

function cpuPerEvent(events: readonly StoredEvent[], work: () => void): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / events.length;
}

async function allocationsOf(work: () => void): Promise<{ bytes: number; where: Array<[string, number]> }> {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.enable");
  await session.post("HeapProfiler.startSampling", { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  work();
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  const where = new Map<string, number>();
  type Node = (typeof profile)["head"];
  const walk = (node: Node, caller: string) => {
    const frame = `${node.callFrame.functionName || "(anonymous)"} (${node.callFrame.url.split("/").slice(-2).join("/")})`;
    const name = caller === "" ? frame : `${frame} < ${caller}`;
    if (node.selfSize > 0) where.set(name, (where.get(name) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, frame);
  };
  walk(profile.head, "");
  const bytes = [...where.values()].reduce((a, b) => a + b, 0);
  return { bytes, where: [...where].sort((a, b) => b[1] - a[1]).slice(0, 12) };
}

async function main(): Promise<void> {
  const header = machineLine(quick ? "--quick" : "");
  const events = lifecycleLog();
  const figures = { fold: [] as number[], sagaReader: [] as number[], sharedReader: [] as number[] };
  const readers = {
    sagaReader: () => {
      for (const e of events) readSagaEvent(e.type, e.payload);
    },
    sharedReader: () => {
      for (const e of events) decodeTraceEvent(e.type, e.payload, true);
    },
  };
  for (let round = -2; round < ROUNDS; round++) {
    const fig = { fold: cpuPerEvent(events, () => fold(events)), sagaReader: cpuPerEvent(events, readers.sagaReader), sharedReader: cpuPerEvent(events, readers.sharedReader) };
    if (round < 0) continue; // warm-up
    figures.fold.push(fig.fold);
    figures.sagaReader.push(fig.sagaReader);
    figures.sharedReader.push(fig.sharedReader);
  }
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${num(s[0]!, 2)} / ${num(s[s.length >> 1]!, 2)}`;
  };
  console.log(`# The monitoring saga's fold, in process\n`);
  console.log(header);
  console.log(`${num(events.length)} events of the lifecycle ingest workload (12 per trace), payloads as views into one buffer per ${num(PAGE)} events; ${ROUNDS} rounds after 2 of warm-up.\n`);
  console.log(`| what | CPU µs per event, min / median |`);
  console.log(`|---|---|`);
  console.log(`| SagaFold.event (decode + decide + evolve + ticks) | ${stat(figures.fold)} |`);
  console.log(`| the saga's reader alone (saga-event-reader.ts) | ${stat(figures.sagaReader)} |`);
  console.log(`| the shared reader alone, attributes skipped (trace-event-reader.ts) | ${stat(figures.sharedReader)} |`);
  if (alloc) {
    const { bytes, where } = await allocationsOf(() => fold(events));
    console.log(`\nAllocated by one fold: ${num(bytes / events.length)} bytes per event (sampled every 1 KiB, collected objects included). Where:\n`);
    console.log(`| allocating frame < its caller | share |`);
    console.log(`|---|---|`);
    for (const [name, size] of where) console.log(`| ${name} | ${num((size / bytes) * 100, 1)}% |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
