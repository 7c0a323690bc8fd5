// The server as README runs it: `npm start`, which is npm, its shell, then node. npm
// forwards SIGINT and SIGTERM to its shell only; before the start script exec'd node,
// SIGTERM to npm (what a supervisor or a container runtime sends the process it
// started) killed the shell and left the server running with no parent, and Ctrl-C
// made npm exit 130 although the server had stopped in order. With exec, Ctrl-C
// reaches node twice (from the terminal and from npm): taken as one stop, exit 0.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { killServer, spawnServer, type ServerProcess } from "./support/server-process.js";
import { within } from "./support/wait.js";

let db: TestDatabase;
const started: ServerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const server of started) await killServer(server);
  await db?.drop();
});

async function npmStart(detached: boolean): Promise<ServerProcess> {
  const server = await spawnServer(db.url, {}, 60_000, { viaNpm: true, detached });
  started.push(server);
  return server;
}

/** Whether anything still answers on the server's HTTP port. */
async function answers(httpAddress: string): Promise<boolean> {
  return fetch(`http://${httpAddress}/healthz`).then(
    () => true,
    () => false,
  );
}

describe("npm start", () => {
  it("Ctrl-C (SIGINT to the process group) stops the server in order, and npm exits 0", async () => {
    const server = await npmStart(true);
    expect(await answers(server.httpAddress)).toBe(true);
    server.signalGroup("SIGINT");
    expect(await within(30_000, "npm start to exit", server.exited)).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('"msg":"stopped"');
    expect(server.output()).not.toContain("second signal");
    expect(await answers(server.httpAddress)).toBe(false);
  }, 90_000);

  it("SIGTERM to npm alone, as a supervisor sends it, stops the server too, and npm exits 0", async () => {
    const server = await npmStart(false);
    server.signal("SIGTERM");
    expect(await within(30_000, "npm start to exit", server.exited)).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('"msg":"stopped"');
    expect(await answers(server.httpAddress)).toBe(false);
  }, 90_000);
});
