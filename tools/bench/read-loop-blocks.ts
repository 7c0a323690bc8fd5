// The longest event-loop blocks of a real server (started in this process) while it
// answers GetTrace, GetTraceEvents and WatchTrace of a ~60,000-span trace: every
// other call on that server waits as long as the longest block. A 1 ms interval
// timer in the server's process records every gap over 5 ms; the baseline is the
// same timer on the idle server. The client runs in a child process
// (support/loop-block-client.ts) so that its decoding never lands on the loop measured.
//
// usage: npx tsx tools/bench/read-loop-blocks.ts [--spans=60000] [--only=a,b] [--profile=case]
//        [--server-src=DIR]  (another checkout's apps/server/src, with its drizzle folder beside
//        it: the same measurement of that server, for an A/B in one sitting)
import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import { eventIdentity } from "../../apps/server/src/domain/trace/trace-event.js";
import { bytesToHex } from "../../apps/server/src/domain/trace/w3c-ids.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { deriveEventId } from "../../apps/server/src/events/event-id.js";
import { encodeTraceEvent, occurredAt } from "../../apps/server/src/events/trace-event-codec.js";
import type { Traceledger } from "../../apps/server/src/server/start-traceledger.js";
import type * as ServerConfigModule from "../../apps/server/src/config/server-config.js";
import type * as LoggerModule from "../../apps/server/src/log/logger.js";
import type * as StartTraceledgerModule from "../../apps/server/src/server/start-traceledger.js";
import { openBenchDatabase } from "./support/bench-env.js";
import { bigTraceEvents } from "./support/big-trace.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const SPANS = Number(arg("spans") ?? 60_000);
const ONLY = arg("only")?.split(",");
const PROFILE = arg("profile");
const TRACE = "6b".repeat(16);
const SERVER_SRC = arg("server-src");
const src = SERVER_SRC === undefined ? "../../apps/server/src" : pathToFileURL(resolve(SERVER_SRC)).href;
const { loadConfig } = (await import(`${src}/config/server-config.js`)) as typeof ServerConfigModule;
const { createLogger } = (await import(`${src}/log/logger.js`)) as typeof LoggerModule;
const { startTraceledger } = (await import(`${src}/server/start-traceledger.js`)) as typeof StartTraceledgerModule;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Probe {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  gaps: Array<{ at: number; gap: number; fromUs: number; toUs: number }> = [];
  private t0 = 0;
  private h = monitorEventLoopDelay({ resolution: 1 });
  start() {
    this.gaps = [];
    this.t0 = this.last = performance.now();
    this.h.reset();
    this.h.enable();
    this.timer = setInterval(() => {
      const now = performance.now();
      const gap = now - this.last;
      if (gap > 5) {
        const toUs = Number(process.hrtime.bigint() / 1000n);
        this.gaps.push({ at: this.last - this.t0, gap, fromUs: toUs - gap * 1000, toUs });
      }
      this.last = now;
    }, 1);
  }
  mark() {
    return performance.now() - this.t0;
  }
  stop() {
    clearInterval(this.timer);
    this.h.disable();
    const now = performance.now();
    const tail = now - this.last;
    if (tail > 5) this.gaps.push({ at: this.last - this.t0, gap: tail, fromUs: 0, toUs: 0 });
    const sorted = [...this.gaps].sort((a, b) => b.gap - a.gap);
    return { t0: this.t0, maxGap: sorted[0]?.gap ?? 0, histMax: this.h.max / 1e6, over100: this.gaps.filter((g) => g.gap > 100).length, over50: this.gaps.filter((g) => g.gap > 50).length, top: sorted.slice(0, 5), wall: now - this.t0 };
  }
}

async function main() {
  const db = await openBenchDatabase("tl_loopblock");
  const sql = createPostgresClient(db.url, { max: 4, applicationName: "loop-block" });
  let server: Traceledger | undefined;
  const child = fork(fileURLToPath(new URL("./support/loop-block-client.ts", import.meta.url)), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let waiting: ((m: unknown) => void) | undefined;
  child.on("message", (m) => waiting?.(m));
  const next = () => new Promise<{ ok: boolean; error?: string; result?: unknown }>((r) => (waiting = r as (m: unknown) => void));
  await next();
  const run = async (job: object) => {
    const answer = next();
    child.send(job);
    const m = await answer;
    if (!m.ok) throw new Error(m.error);
    return m.result;
  };
  try {
    await migrate(sql);
    const store = new PostgresEventStore(sql);
    const events = bigTraceEvents(TRACE, SPANS);
    const stored = events.map((e) => encodeTraceEvent(e));
    for (let i = 0; i < events.length; i += 5000) {
      await store.append({
        streamId: TRACE,
        expectedVersion: i,
        events: events.slice(i, i + 5000).map((e, k) => ({ eventId: deriveEventId(TRACE, eventIdentity(e, bytesToHex)), type: stored[i + k]!.type, payload: stored[i + k]!.payload, occurredAt: occurredAt(e) })),
      });
    }
    const bytes = stored.reduce((n, s) => n + s.payload.length, 0);
    console.log(`# server from ${SERVER_SRC ?? "this checkout"}; node flags ${process.execArgv.join(" ")}`);
    console.log(`# loop blocks — ${SPANS} spans, ${events.length} events, ${(bytes / 1e6).toFixed(1)} MB of payloads; node ${process.version}`);
    const OLD = Math.round(events.length * 0.15);
    const HALF = Math.round(events.length * 0.5);

    const start = async () => {
      await server?.stop();
      server = await startTraceledger(
        loadConfig({ DATABASE_URL: db.url, TRACELEDGER_HOST: "127.0.0.1", TRACELEDGER_GRPC_PORT: "0", TRACELEDGER_HTTP_PORT: "0", TRACELEDGER_SHUTDOWN_GRACE_MS: "3000", TRACING_ENABLED: "false" }),
        createLogger("error"),
      );
      await run({ kind: "address", address: server.grpcAddress });
      await quiet();
    };
    /** Until 1.5 s pass with no gap over 15 ms (background catch-up done). */
    const quiet = async () => {
      for (let i = 0; i < 120; i++) {
        const p = new Probe();
        p.start();
        await sleep(1500);
        if (p.stop().maxGap < 15) return;
      }
      console.log("(never quiet)");
    };
    const snapshotCount = async () => (await sql<{ n: number }[]>`select count(*)::int as n from trace_view_snapshots`)[0]!.n;
    const dropSnapshots = () => sql`delete from trace_view_snapshots`;
    const settle = async () => {
      // The snapshot writer works after the answer: until the count is stable for 2 s.
      let last = -1;
      for (let i = 0; i < 300; i++) {
        const n = await snapshotCount();
        if (n === last) return n;
        last = n;
        await sleep(2000);
      }
      return last;
    };

    const rows: string[] = [];
    const measure = async (name: string, job: object, opts: { settle?: boolean } = {}) => {
      if (ONLY && !ONLY.some((o) => name.startsWith(o))) return;
      let session: Session | undefined;
      if (PROFILE && PROFILE.split(",").some((p) => name.startsWith(p))) {
        session = new Session();
        session.connect();
        await session.post("Profiler.enable");
        await session.post("Profiler.setSamplingInterval", { interval: 200 });
        await session.post("Profiler.start");
      }
      const p = new Probe();
      p.start();
      const result = await run(job);
      const answeredAt = p.mark();
      const before = p.gaps.filter((g) => g.at < answeredAt).reduce((m, g) => Math.max(m, g.gap), 0);
      const snaps = opts.settle ? await settle() : undefined;
      const r = p.stop();
      if (session) {
        const { profile } = await session.post("Profiler.stop");
        const file = `/tmp/loop-block-${name.replace(/\W+/g, "_")}.cpuprofile`;
        writeFileSync(file, JSON.stringify(profile));
        writeFileSync(file.replace(".cpuprofile", ".gaps.json"), JSON.stringify(r.top));
        session.disconnect();
        console.log(`profile: ${file}`);
      }
      const line = `| ${name} | ${r.maxGap.toFixed(0)} | ${r.histMax.toFixed(0)} | ${before.toFixed(0)} | ${r.over100} | ${r.over50} | ${answeredAt.toFixed(0)} | ${JSON.stringify(result)}${snaps === undefined ? "" : `; snapshots ${snaps}`} | ${r.top.map((g) => `${g.gap.toFixed(0)}@${g.at.toFixed(0)}${process.env.ABS ? `(t=${(g.at + r.t0).toFixed(0)})` : ""}`).join(" ")} |`;
      console.log(line);
      rows.push(line);
    };

    console.log("| case | longest block ms (1 ms probe) | histogram max ms | longest before the answer | blocks > 100 ms | > 50 ms | answered at ms | result | top gaps ms@ms |\n|---|---|---|---|---|---|---|---|---|");
    await start();
    await measure("idle 3 s", { kind: "ping" }).then(() => undefined);
    {
      const p = new Probe();
      p.start();
      await sleep(3000);
      const r = p.stop();
      console.log(`| idle 3 s | ${r.maxGap.toFixed(0)} | ${r.histMax.toFixed(0)} | | ${r.over100} | ${r.over50} | | | |`);
    }
    // (a) GetTrace now, from scratch: no snapshot, fresh server (empty cache).
    await dropSnapshots();
    await start();
    await measure("a1 GetTrace now, from scratch", { kind: "getTrace", traceId: TRACE }, { settle: true });
    await measure("a2 GetTrace now, warm cache", { kind: "getTrace", traceId: TRACE });
    await start();
    await measure("a3 GetTrace now, fresh replica (snapshots stored)", { kind: "getTrace", traceId: TRACE }, { settle: true });
    // (a') as of an old version.
    await dropSnapshots();
    await start();
    await measure(`a4 GetTrace as of v${OLD}, from scratch`, { kind: "getTrace", traceId: TRACE, version: OLD }, { settle: true });
    await measure(`a5 GetTrace as of v${OLD}, again`, { kind: "getTrace", traceId: TRACE, version: OLD });
    await measure(`a6 GetTrace as of v${HALF}, from scratch past v${OLD}`, { kind: "getTrace", traceId: TRACE, version: HALF }, { settle: true });
    await measure(`a7 GetTrace now after as-ofs (from the snapshot at v${HALF})`, { kind: "getTrace", traceId: TRACE }, { settle: true });
    await start();
    await measure(`a8 GetTrace as of v${OLD + 777}, fresh replica, snapshots stored`, { kind: "getTrace", traceId: TRACE, version: OLD + 777 });
    await measure(`a9 GetTrace as of v${HALF + 777}, fresh replica, snapshots stored`, { kind: "getTrace", traceId: TRACE, version: HALF + 777 });
    // (b) GetTraceEvents paging.
    await measure("b1 GetTraceEvents all pages, page_size 0 (500)", { kind: "pages", traceId: TRACE, pageSize: 0 });
    await measure("b2 GetTraceEvents all pages, page_size 5000", { kind: "pages", traceId: TRACE, pageSize: 5000 });
    // (c) WatchTrace from version 0.
    await measure("c1 WatchTrace from version 0", { kind: "watch", traceId: TRACE });
    console.log("\n" + rows.join("\n"));
  } finally {
    await server?.stop();
    child.disconnect();
    await sql.end({ timeout: 5 });
    await db.close();
  }
}

await main();
