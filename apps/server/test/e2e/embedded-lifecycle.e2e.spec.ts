// The server on its embedded PostgreSQL, as a process, through the ways it can
// end: killed outright (its PostgreSQL is left running; the next start stops it
// and goes on with the data), Ctrl-C in a terminal (SIGINT to the whole process
// group: the shutdown is still traceledger's, in order, exit 0), and a second
// Ctrl-C while stopping (exit at once, PostgreSQL not left behind).

import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresClient } from "../../src/database/open-database.js";
import { holdEventWrites } from "./support/held-event-writes.js";
import { connectClient } from "./support/in-process-server.js";
import { killServer, spawnServer, type ServerProcess } from "./support/server-process.js";
import { until, within } from "./support/wait.js";

let dataParent: string;
let dataDir: string;
const started: ServerProcess[] = [];

beforeAll(async () => {
  dataParent = await mkdtemp(path.join(tmpdir(), "tl-lifecycle-"));
  // As root, PostgreSQL runs as the user "postgres", which must be able to enter the folder.
  await chmod(dataParent, 0o755);
  dataDir = path.join(dataParent, "pg");
});

afterAll(async () => {
  for (const server of started) await killServer(server);
  const pid = await postmasterPid();
  if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL");
  await rm(dataParent, { recursive: true, force: true });
});

async function start(detached = false): Promise<ServerProcess> {
  const server = await spawnServer("", { TRACELEDGER_DATA_DIR: dataDir }, 90_000, { detached });
  started.push(server);
  return server;
}

async function postmasterPid(): Promise<number | undefined> {
  try {
    return Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the embedded PostgreSQL's lifecycle", () => {
  it("a server killed outright leaves its PostgreSQL running; the next start stops it and keeps the data", async () => {
    const first = await start();
    const client = connectClient(first.grpcAddress);
    const trace = await client.startTrace({ name: "before the kill", serviceName: "lifecycle" });
    first.signal("SIGKILL");
    await within(10_000, "the killed server to exit", first.exited);
    const orphan = (await postmasterPid())!;
    expect(alive(orphan)).toBe(true);

    const second = await start();
    expect(second.output()).toContain("stopped a PostgreSQL that an earlier traceledger left running");
    expect(alive(orphan)).toBe(false);
    const again = connectClient(second.grpcAddress);
    expect((await again.getTrace({ traceId: trace.traceId })).trace!.spans.map((s) => s.name)).toEqual(["before the kill"]);
    second.signal("SIGTERM");
    expect(await within(30_000, "the second server to exit", second.exited)).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("Ctrl-C (SIGINT to the process group) stops the server in order: the call in flight is answered, PostgreSQL stops last, exit 0", async () => {
    const server = await start(true);
    const client = connectClient(server.grpcAddress);
    const postgres = (await postmasterPid())!;
    // Hold the event store's writes so a call is surely in flight when Ctrl-C comes.
    const port = (await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[3]!.trim();
    const sql = createPostgresClient(`postgres://postgres:traceledger@127.0.0.1:${port}/traceledger`, { max: 2 });
    const writes = await holdEventWrites(sql);
    try {
      const inFlight = client.startTrace({ name: "in flight at ctrl-c", serviceName: "lifecycle" });
      await writes.appendWaiting(10_000);
      server.signalGroup("SIGINT");
      await server.waitForOutput('"msg":"shutting down"', 10_000);
      await writes.release();
      expect((await inFlight).traceVersion).toBe(2n);
    } finally {
      await writes.release();
      await sql.end({ timeout: 1 });
    }
    expect(await within(30_000, "the server to exit", server.exited)).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('"msg":"stopped"');
    await until(5_000, "PostgreSQL to have stopped", async () => (alive(postgres) ? undefined : true));
  }, 60_000);

  it("a second Ctrl-C while stopping exits at once, and leaves no PostgreSQL behind", async () => {
    const server = await start(true);
    const client = connectClient(server.grpcAddress);
    const postgres = (await postmasterPid())!;
    // A call held in flight keeps the graceful stop from finishing (it would wait out the grace
    // period, then the database): only the second signal can end the process soon.
    const port = (await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[3]!.trim();
    const sql = createPostgresClient(`postgres://postgres:traceledger@127.0.0.1:${port}/traceledger`, { max: 2 });
    const writes = await holdEventWrites(sql);
    try {
      // Cut off with the process: its answer is not what this test is about.
      void client.startTrace({ name: "held", serviceName: "lifecycle" }).catch(() => undefined);
      await writes.appendWaiting(10_000);
      server.signalGroup("SIGINT");
      // Signals of one kind sent together can arrive as one: the second comes once the first is seen.
      await server.waitForOutput('"msg":"shutting down"', 10_000);
      // And past the moment within which the same signal is taken as one delivered twice (main.ts).
      await new Promise((resolve) => setTimeout(resolve, 300));
      server.signalGroup("SIGINT");
      expect(await within(2_500, "the server to exit on the second signal", server.exited)).toEqual({ code: 130, signal: null });
    } finally {
      // Not released: PostgreSQL is gone or going, and the lock ends with its connection.
      await sql.end({ timeout: 1 });
    }
    await until(10_000, "PostgreSQL to have stopped", async () => (alive(postgres) ? undefined : true));
  }, 60_000);
});
