// A stop signal that arrives while the server is still starting (its embedded
// PostgreSQL initialising or starting, its migrations waiting on another
// replica's) is a request to stop, not a failed start: the server stops what it
// had started, its embedded PostgreSQL included, says start-up was interrupted,
// and exits 0 as after any graceful stop. Before, the first two cases exited 143
// or 1 ("failed to start", PostgreSQL's start reported as failed) and the third
// died of the signal. So did one in the first second or two, while the server's
// modules still loaded (130, 143, no log line).

import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { serverEnv } from "./support/in-process-server.js";
import { npmStartNodeFlags } from "./support/npm-start-flags.js";
import { killServer, launchServer, REPO_ROOT, spawnServer, type Exit, type LaunchedServer } from "./support/server-process.js";
import { exists, postmastersIn } from "./support/leftover-postmasters.js";
import { until, within } from "./support/wait.js";

/** The advisory lock key migrations take (src/event-store/postgres/migrate.ts). */
const MIGRATION_LOCK = 0x746c2d6d69677200n;

let dataParent: string;
const launched: LaunchedServer[] = [];

beforeAll(async () => {
  dataParent = await mkdtemp(path.join(tmpdir(), "tl-interrupted-"));
  // As root, PostgreSQL runs as the user "postgres", which must be able to enter the folder.
  await chmod(dataParent, 0o755);
});

afterAll(async () => {
  for (const server of launched) await killServer(server);
  for (const pid of await postmastersIn(dataParent)) process.kill(pid, "SIGKILL");
  await rm(dataParent, { recursive: true, force: true });
});

function launch(databaseUrl: string, overrides: Record<string, string>, options: { detached?: boolean } = {}): LaunchedServer {
  const server = launchServer(databaseUrl, overrides, options);
  launched.push(server);
  return server;
}

/** `during`: the database was being opened ("open") or was open ("migrations") when the signal was seen. */
async function expectCleanInterruptedStop(server: LaunchedServer, during: "open" | "migrations", dataDir?: string): Promise<void> {
  const exit = await within(60_000, "the interrupted server to exit", server.exited);
  expect(exit, server.output()).toEqual({ code: 0, signal: null });
  const lines = server.output().split("\n");
  const interrupted = lines.findIndex((l) => l.includes('"msg":"start-up interrupted"'));
  const ready = lines.findIndex((l) => l.includes('"msg":"database ready"'));
  expect(interrupted, server.output()).toBeGreaterThanOrEqual(0);
  expect(ready, server.output()).toBeGreaterThanOrEqual(0);
  if (during === "open") expect(interrupted, server.output()).toBeLessThan(ready);
  else expect(interrupted, server.output()).toBeGreaterThan(ready);
  expect(server.output()).toContain('"msg":"stopped"');
  expect(server.output()).not.toContain("failed to start");
  expect(server.output()).not.toContain("traceledger listening");
  if (dataDir !== undefined) {
    // PostgreSQL stopped (not killed with the process): its pid file is gone and no process runs on the folder.
    expect(await exists(path.join(dataDir, "postmaster.pid"))).toBeUndefined();
    expect(await postmastersIn(dataDir)).toEqual([]);
  }
}

/**
 * Runs the server as `npm start` does, with one more module hook: the first module that
 * main.ts imports, when resolved, sends `signal` to the process. That is the earliest moment
 * the server's own code has run (main.ts is resolved and running, or about to), with nearly
 * all of it still to load: a signal sent from outside as soon as the process is spawned would
 * land in Node's own start or tsx's, before any JavaScript of ours exists to listen.
 */
function runWithSignalAtFirstImport(signal: NodeJS.Signals, env: Record<string, string>): Promise<{ exit: Exit; output: string }> {
  const main = new URL("apps/server/src/main.ts", pathToFileURL(REPO_ROOT)).href;
  const hooks = `let sent = false;
    export async function resolve(specifier, context, next) {
      if (!sent && context.parentURL === ${JSON.stringify(main)}) {
        sent = true;
        process.kill(process.pid, ${JSON.stringify(signal)});
      }
      return next(specifier, context);
    }`;
  const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const args = [...npmStartNodeFlags(REPO_ROOT), "--import", "tsx", "--import", `data:text/javascript,${encodeURIComponent(register)}`, "apps/server/src/main.ts"];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // The test runner's own hooks must not reach the server process.
  delete childEnv["NODE_OPTIONS"];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ exit: Exit; output: string }>((resolve) => child.once("close", (code, sig) => resolve({ exit: { code, signal: sig }, output })));
  return within(30_000, `the server signalled with ${signal} at its first import to exit`, exited).finally(() => child.kill("SIGKILL"));
}

describe("a stop signal during start-up", () => {
  const dataDir = () => path.join(dataParent, "pg");

  it.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)(
    "while the server's modules still load (%s, right after main.ts's first import is asked for): nothing started, exit 0",
    async (signal) => {
      const folder = path.join(dataParent, `pg-loading-${signal}`);
      const { exit, output } = await runWithSignalAtFirstImport(signal, serverEnv("", { TRACELEDGER_DATA_DIR: folder, TRACELEDGER_LOG_LEVEL: "info" }));
      expect(exit, output).toEqual({ code: 0, signal: null });
      const lines = output.split("\n");
      expect(lines.some((l) => l.includes('"msg":"start-up interrupted"') && l.includes(`"signal":"${signal}"`)), output).toBe(true);
      expect(output).toContain('"msg":"stopped"');
      expect(output).not.toContain("failed to start");
      expect(output).not.toContain("traceledger listening");
      // Start-up saw the stop before it began: the embedded PostgreSQL's folder was never made.
      expect(await exists(folder)).toBeUndefined();
    },
    60_000,
  );

  it("while the embedded PostgreSQL's data folder is initialised (SIGTERM): PostgreSQL is started and stopped again, exit 0", async () => {
    const server = launch("", { TRACELEDGER_DATA_DIR: dataDir() });
    // initdb writes PG_VERSION early, long before the cluster answers.
    await until(60_000, "initdb to begin", () => exists(path.join(dataDir(), "PG_VERSION")));
    server.signal("SIGTERM");
    await expectCleanInterruptedStop(server, "open", dataDir());
  }, 90_000);

  it("while the embedded PostgreSQL starts (Ctrl-C: SIGINT to the process group): PostgreSQL stops, exit 0", async () => {
    // A folder initialised by a server that started and stopped: this start only starts the cluster.
    const folder = path.join(dataParent, "pg-ready");
    const first = await spawnServer("", { TRACELEDGER_DATA_DIR: folder }, 90_000);
    launched.push(first);
    first.signal("SIGTERM");
    expect(await within(30_000, "the first server to stop", first.exited).catch((e: Error) => `${e.message}\n${first.output()}`)).toEqual({ code: 0, signal: null });

    const server = launch("", { TRACELEDGER_DATA_DIR: folder }, { detached: true });
    await until(60_000, "the postmaster to start", () => exists(path.join(folder, "postmaster.pid")));
    server.signalGroup("SIGINT");
    await expectCleanInterruptedStop(server, "open", folder);
  }, 150_000);

  it("right as it says it listens (SIGTERM on that line): a normal stop, every time", async () => {
    // Before, the handlers were swapped after that line: a signal landing meanwhile was lost
    // (the server ran on) or killed the process.
    const db = await createTestDatabase();
    try {
      for (let i = 0; i < 4; i++) {
        const server = await spawnServer(db.url);
        launched.push(server);
        server.signal("SIGTERM");
        const exit = await within(20_000, `server ${i + 1} to stop`, server.exited).catch((error: Error) => error.message);
        expect(exit, server.output()).toEqual({ code: 0, signal: null });
      }
    } finally {
      await db.drop();
    }
  }, 120_000);

  it("while connecting to an external PostgreSQL that accepts and never answers (SIGTERM): the connection is given up, exit 0", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      // Before, the check waited for postgres.js's 30 s connect timeout, and the shutdown
      // overrun (the grace period + 10 s) ended the process first with exit 1.
      const server = launch(`postgres://u:p@127.0.0.1:${port}/db`, { TRACELEDGER_SHUTDOWN_GRACE_MS: "1000" });
      await until(30_000, "the server to connect", async () => (sockets.size > 0 ? true : undefined), 20);
      server.signal("SIGTERM");
      const exit = await within(30_000, "the interrupted server to exit", server.exited);
      expect(exit, server.output()).toEqual({ code: 0, signal: null });
      expect(server.output()).toContain('"msg":"start-up interrupted"');
      expect(server.output()).toContain('"msg":"stopped"');
      expect(server.output()).not.toContain("failed to start");
      expect(server.output()).not.toContain("did not finish in time");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 60_000);

  describe("while migrations wait on another replica's migration lock", () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase({ migrate: false });
    });
    afterAll(async () => {
      await db?.drop();
    });

    it("SIGTERM ends the wait at once: exit 0, nothing applied, no session left once the lock is free", async () => {
      const holder = await db.sql.reserve();
      try {
        await holder`select pg_advisory_lock(${MIGRATION_LOCK.toString()}::int8)`;
        const server = launch(db.url, {});
        await until(30_000, "the server's migration to wait on the lock", async () => {
          const [row] = await db.sql<{ n: number }[]>`
            select count(*)::int4 as n from pg_stat_activity
            where datname = current_database() and application_name = 'traceledger' and wait_event = 'advisory'`;
          return row!.n > 0 ? true : undefined;
        }, 20);
        const signalled = performance.now();
        server.signal("SIGTERM");
        await expectCleanInterruptedStop(server, "migrations");
        // The wait was cut, not waited out (the lock is still held): well within the grace period and its overrun.
        expect(performance.now() - signalled).toBeLessThan(8_000);
      } finally {
        await holder`select pg_advisory_unlock(${MIGRATION_LOCK.toString()}::int8)`;
        holder.release();
      }
      // A backend waiting on a lock notices its client is gone only once it has the lock;
      // then it ends at once, and nothing of the migration was applied.
      await until(10_000, "the interrupted server's sessions to end", async () => {
        const [left] = await db.sql<{ n: number }[]>`
          select count(*)::int4 as n from pg_stat_activity where datname = current_database() and application_name = 'traceledger'`;
        return left!.n === 0 ? true : undefined;
      }, 50);
      const [schema] = await db.sql<{ n: number }[]>`select count(*)::int4 as n from pg_tables where tablename = 'events'`;
      expect(schema!.n).toBe(0);
    }, 60_000);
  });
});
