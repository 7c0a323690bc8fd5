// OTLP export: how fast the exporter drains a stored log to a collector, against
// two ceilings measured in the same run.
//
//   npx tsx tools/bench/otlp-export.ts [--quick] [--spans-per-trace=N] [--batch=N] [--profile]
//
// The log: completed traces of --spans-per-trace spans (default 10), each span
// with 4 attributes, one event per span, written straight through the event
// store (the events the lifecycle API would write). 200,000 spans (40,000 with
// --quick). The receiver is a node:http server in this process that reads each
// body and answers 200 without decoding it: a collector's own cost is not ours.
// --batch is the exporter's most spans per request (default 512, as the server's).
//
//   export     startOtlpExport (the server's own wiring: leased subscription,
//              take/handle, fold, protobuf encoding, fetch), from the start of
//              the log until every span is accepted. Spans/s, CPU per span
//              (this process and PostgreSQL).
//   readAll    the exporter's own read: the whole log once, slice by slice. It
//              keeps the events of open traces (StreamTailCache), so a
//              completed trace is normally not read again.
//   readStream the fallback read (a trace begun before this exporter's tenure,
//              or evicted from the cache): readStream for every TraceCompleted,
//              8 at a time, after readAll. No fold, no encoding, no HTTP.
//   transport  the exporter's request bodies (kept from the export run) posted
//              again, one at a time as the exporter does: HTTP alone.
//
// --profile records this process's CPU during the export alone (node:inspector)
// and prints where the time went.
//
// The export is sequential by design (one request in flight, the checkpoint
// after it), so its rate is bounded by the sum of the per-span costs of its
// steps, not the slowest one.

import { createServer } from "node:http";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { randomBytes, randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import {
  KeyValueSchema,
  SpanEndedSchema,
  SpanEventRecordedSchema,
  SpanKind,
  SpanStartedSchema,
  StatusCode,
  TraceCompletedSchema,
  TraceCompletionReason,
  TraceOrigin,
  TraceStartedSchema,
  type KeyValue,
} from "@traceledger/proto";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import type { TraceEventCase } from "../../apps/server/src/domain/trace/trace-event.js";
import { START_OF_LOG, type AppendRequest } from "../../apps/server/src/event-store/event-store.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { encodeTraceEvent, occurredAt } from "../../apps/server/src/events/trace-event-codec.js";
import { createLogger } from "../../apps/server/src/log/logger.js";
import { loadOtlpExportConfig } from "../../apps/server/src/otlp-export/otlp-export-config.js";
import { startOtlpExport } from "../../apps/server/src/otlp-export/start-otlp-export.js";
import { machineLine, openBenchDatabase, processTreeCpuSeconds, waitUntilQuiet } from "./support/bench-env.js";
import { profileMarkdown, summariseProfile } from "./support/cpu-profile.js";
import { fmt, rate } from "./support/stats.js";

const quick = process.argv.includes("--quick");
const profile = process.argv.includes("--profile");
const option = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const SPANS_PER_TRACE = option("spans-per-trace", 10);
const BATCH_SPANS = option("batch", 512);
const TOTAL_SPANS = quick ? 40_000 : 200_000;
const TRACES = Math.ceil(TOTAL_SPANS / SPANS_PER_TRACE);

const attr = (key: string, value: string): KeyValue => create(KeyValueSchema, { key, value: { value: { case: "stringValue", value } } });

/** The events of one completed trace, as the aggregate writes them. */
function traceEvents(t0: bigint): TraceEventCase[] {
  const traceId = randomBytes(16);
  const spanIds = Array.from({ length: SPANS_PER_TRACE }, () => randomBytes(8));
  const events: TraceEventCase[] = [
    { case: "traceStarted", value: create(TraceStartedSchema, { traceId, startTimeUnixNano: t0, origin: TraceOrigin.ROOT, serviceName: "checkout" }) },
  ];
  spanIds.forEach((spanId, i) =>
    events.push({
      case: "spanStarted",
      value: create(SpanStartedSchema, {
        traceId,
        spanId,
        parentSpanId: i === 0 ? new Uint8Array(0) : spanIds[0],
        name: i === 0 ? "POST /checkout" : `step ${i}`,
        kind: i === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
        serviceName: i % 2 === 0 ? "checkout" : "payments",
        startTimeUnixNano: t0 + BigInt(i) * 1000n,
        flags: 1,
        attributes: [attr("http.route", "/checkout"), attr("customer.tier", "gold"), attr("region", "eu-west-1"), attr("step", String(i))],
      }),
    }),
  );
  for (let i = SPANS_PER_TRACE - 1; i >= 0; i--) {
    const spanId = spanIds[i]!;
    events.push({ case: "spanEventRecorded", value: create(SpanEventRecordedSchema, { traceId, spanId, eventId: "e", timeUnixNano: t0 + 5000n, name: "cache.miss", attributes: [attr("key", "k")] }) });
    events.push({ case: "spanEnded", value: create(SpanEndedSchema, { traceId, spanId, endTimeUnixNano: t0 + 1_000_000n - BigInt(i), status: { code: StatusCode.OK } }) });
  }
  events.push({
    case: "traceCompleted",
    value: create(TraceCompletedSchema, { traceId, startTimeUnixNano: t0, endTimeUnixNano: t0 + 1_000_000n, durationNano: 1_000_000n, spanCount: SPANS_PER_TRACE, reason: TraceCompletionReason.ROOT_ENDED }),
  });
  return events;
}

async function fillLog(store: PostgresEventStore): Promise<number> {
  let events = 0;
  const t0 = BigInt(Date.now()) * 1_000_000n;
  for (let done = 0; done < TRACES; ) {
    const requests: AppendRequest[] = [];
    for (let i = 0; i < 200 && done < TRACES; i++, done++) {
      const trace = traceEvents(t0 + BigInt(done) * 1000n);
      const streamId = Buffer.from(trace[0]!.value.traceId).toString("hex");
      requests.push({
        streamId,
        expectedVersion: "no_stream",
        events: trace.map((event) => ({ eventId: randomUUID(), ...encodeTraceEvent(event), occurredAt: occurredAt(event) })),
      });
      events += trace.length;
    }
    await store.appendMany(requests);
  }
  return events;
}

async function main(): Promise<void> {
  console.log(machineLine(`${quick ? "--quick · " : ""}${TRACES} traces of ${SPANS_PER_TRACE} spans, ${BATCH_SPANS} spans per request`));
  const db = await openBenchDatabase("tl_bench_export");
  const sql = createPostgresClient(db.url, { max: 10 });
  const bodies: Buffer[] = [];
  let keep = true;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (keep) bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  try {
    await migrate(sql);
    const store = new PostgresEventStore(sql);
    const filled = performance.now();
    const events = await fillLog(store);
    console.log(`log: ${fmt(events)} events, ${fmt(TRACES * SPANS_PER_TRACE)} spans written in ${fmt((performance.now() - filled) / 1000)} s`);
    await waitUntilQuiet(db.postmasterPid);

    // ---- export
    // The server's own settings reader, so every limit not set here (the request byte cap among
    // them) is the server's default, as in production.
    const problems: string[] = [];
    const config = loadOtlpExportConfig(
      {
        OTLP_ENDPOINT: url,
        OTLP_EXPORT_MAX_BATCH_SPANS: String(BATCH_SPANS),
        OTLP_EXPORT_MAX_DELAY_MS: "50",
        OTLP_EXPORT_RETRY_INITIAL_MS: "100",
        OTLP_EXPORT_RETRY_MAX_MS: "1000",
        OTLP_EXPORT_SLOW_TRACE_MS: "0",
      },
      problems,
      { tracingEnabled: true, sampleRate: 1 },
    );
    if (problems.length > 0 || !config.enabled) throw new Error(`bench export settings refused: ${problems.join("; ")}`);
    const spans = TRACES * SPANS_PER_TRACE;
    const cpu0 = process.cpuUsage();
    const pg0 = await processTreeCpuSeconds(db.postmasterPid);
    const inspector = profile ? new Session() : undefined;
    if (inspector) {
      inspector.connect();
      await inspector.post("Profiler.enable");
      await inspector.post("Profiler.start");
    }
    const started = performance.now();
    const exporter = startOtlpExport({ config, sql, store, log: createLogger("error") });
    while (exporter.stats.exportedSpans < spans) await new Promise((resolve) => setTimeout(resolve, 20));
    const exportMs = performance.now() - started;
    const recorded = inspector ? ((await inspector.post("Profiler.stop")) as { profile: unknown }).profile : undefined;
    inspector?.disconnect();
    const cpu = process.cpuUsage(cpu0);
    const pg = (await processTreeCpuSeconds(db.postmasterPid)) - pg0;
    await exporter.stop();
    keep = false;
    const nodeUs = (cpu.user + cpu.system) / spans;
    const rows: string[][] = [];
    rows.push(["export (all of it)", fmt(rate(spans, exportMs)), fmt(nodeUs), Number.isNaN(pg) ? "n/a" : fmt((pg * 1e6) / spans), `${bodies.length} requests`]);

    // ---- reads alone
    let readStart = performance.now();
    let readCpu0 = process.cpuUsage();
    let checkpoint = START_OF_LOG;
    const completions: Array<{ streamId: string; version: number }> = [];
    for (;;) {
      const slice = await store.readAll(checkpoint, 1000);
      if (slice.events.length === 0) break;
      checkpoint = slice.checkpoint;
      for (const e of slice.events) if (e.type === "TraceCompleted") completions.push({ streamId: e.streamId, version: e.version });
    }
    const readMs = performance.now() - readStart;
    let readCpu = process.cpuUsage(readCpu0);
    rows.push(["readAll alone (the exporter's read)", fmt(rate(spans, readMs)), fmt((readCpu.user + readCpu.system) / spans), "", ""]);
    readStart = performance.now();
    readCpu0 = process.cpuUsage();
    for (let i = 0; i < completions.length; i += 8) {
      await Promise.all(completions.slice(i, i + 8).map((c) => store.readStream(c.streamId, { toVersion: c.version })));
    }
    const streamMs = performance.now() - readStart;
    readCpu = process.cpuUsage(readCpu0);
    rows.push(["readStream per trace alone (the fallback)", fmt(rate(spans, streamMs)), fmt((readCpu.user + readCpu.system) / spans), "", ""]);

    // ---- transport alone
    const postStart = performance.now();
    const postCpu0 = process.cpuUsage();
    for (const body of bodies) {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body });
      await response.arrayBuffer();
    }
    const postMs = performance.now() - postStart;
    const postCpu = process.cpuUsage(postCpu0);
    rows.push(["transport alone (the same bodies, fetch)", fmt(rate(spans, postMs)), fmt((postCpu.user + postCpu.system) / spans), "", ""]);

    const bytes = bodies.reduce((n, b) => n + b.length, 0);
    console.log(`request bodies: ${fmt(bytes / bodies.length / 1024)} KiB on average, ${fmt(bytes / spans)} bytes per span\n`);
    console.log("| run | spans/s | node CPU us/span | PostgreSQL CPU us/span | |");
    console.log("|---|---|---|---|---|");
    for (const row of rows) console.log(`| ${row.join(" | ")} |`);
    if (recorded) console.log(`\nwhere the export's time went (this process):\n\n${profileMarkdown(summariseProfile(recorded as never), 25, { count: spans, unit: "span" }, "This process's main thread")}`);
    console.log(`\nexport / readAll alone: ${fmt(readMs / exportMs)}; export / transport alone: ${fmt(postMs / exportMs)}`);
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await sql.end({ timeout: 5 });
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
