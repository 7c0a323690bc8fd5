// The server as its own OS process, started the way `npm start` does
// (node, npm start's flags, --import tsx apps/server/src/main.ts) from the
// repository root, on ephemeral ports: the addresses come from its
// "traceledger listening" log line.

import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { serverEnv } from "./in-process-server.js";
import { npmStartNodeFlags } from "./npm-start-flags.js";
import { within } from "./wait.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../../../", import.meta.url));
const NODE_FLAGS = npmStartNodeFlags(REPO_ROOT);

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly pid: number;
  readonly grpcAddress: string;
  readonly httpAddress: string;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Every stdout and stderr line so far, for failure messages. */
  output(): string;
  /** Resolves when a line containing `text` has been written (at most `ms`). */
  waitForOutput(text: string, ms: number): Promise<void>;
  /** Sends a signal if it still runs. */
  signal(signal: NodeJS.Signals): void;
  /** Sends a signal to its whole process group, as a terminal's Ctrl-C does (needs `detached`). */
  signalGroup(signal: NodeJS.Signals): void;
}

/** A server process that may not listen yet (see launchServer). */
export type LaunchedServer = Omit<ServerProcess, "grpcAddress" | "httpAddress">;

interface LaunchOptions {
  /** Its own process group, as a shell gives a foreground job: signalGroup reaches everything in it. */
  readonly detached?: boolean;
  /** Started by `npm start` itself (npm, its shell, then node): signals sent to `pid` reach npm. */
  readonly viaNpm?: boolean;
}

/** Starts a server process and resolves once it listens (at most `ms`). */
export async function spawnServer(databaseUrl: string, overrides: Record<string, string> = {}, ms = 45_000, options: LaunchOptions = {}): Promise<ServerProcess> {
  const { server, listening } = launch(databaseUrl, overrides, options);
  try {
    const addresses = await within(
      ms,
      'the server process to log "traceledger listening"',
      Promise.race([
        listening,
        server.exited.then((exit) => {
          throw new Error(`the server process exited (${JSON.stringify(exit)}) before listening:\n${server.output()}`);
        }),
      ]),
    );
    return { ...server, grpcAddress: addresses.grpc, httpAddress: addresses.http };
  } catch (error) {
    server.signal("SIGKILL");
    throw error;
  }
}

/** Starts a server process and returns at once, for tests about its start-up itself. */
export function launchServer(databaseUrl: string, overrides: Record<string, string> = {}, options: LaunchOptions = {}): LaunchedServer {
  return launch(databaseUrl, overrides, options).server;
}

function launch(
  databaseUrl: string,
  overrides: Record<string, string>,
  options: LaunchOptions,
): { server: LaunchedServer; listening: Promise<{ grpc: string; http: string }> } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...serverEnv(databaseUrl, { TRACELEDGER_LOG_LEVEL: "info", ...overrides }) };
  // The test runner's own hooks must not reach the server process.
  delete env["NODE_OPTIONS"];
  const [command, args] = options.viaNpm ? ["npm", ["run", "--silent", "start"]] : [process.execPath, [...NODE_FLAGS, "--import", "tsx", "apps/server/src/main.ts"]];
  const child: ChildProcess = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: options.detached ?? false });
  const lines: string[] = [];
  const lineWaiters = new Set<() => void>();
  const addLine = (line: string) => {
    lines.push(line);
    for (const wake of lineWaiters) wake();
  };
  let listening: ((addresses: { grpc: string; http: string }) => void) | undefined;
  const ready = new Promise<{ grpc: string; http: string }>((resolve) => (listening = resolve));
  const exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  let partial = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      addLine(line);
      if (!line.startsWith("{")) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; grpc?: string; http?: string };
        if (entry.msg === "traceledger listening" && entry.grpc && entry.http) listening?.({ grpc: entry.grpc, http: entry.http });
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => chunk.toString().split("\n").filter((l) => l !== "").forEach(addLine));

  const server: LaunchedServer = {
    pid: child.pid!,
    exited,
    output: () => [...lines, partial].join("\n"),
    waitForOutput: (text, ms) => {
      let wake: (() => void) | undefined;
      const seen = new Promise<void>((resolve) => {
        wake = () => {
          if (lines.some((l) => l.includes(text))) resolve();
        };
        lineWaiters.add(wake);
        wake();
      });
      return within(ms, `the server process to write "${text}"`, seen).finally(() => lineWaiters.delete(wake!));
    },
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    signalGroup: (signal) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
    },
  };
  return { server, listening: ready };
}

/** For afterAll: kills the process if it still runs, and waits for it. */
export async function killServer(server: LaunchedServer | undefined): Promise<void> {
  if (!server) return;
  server.signal("SIGKILL");
  await within(10_000, `process ${server.pid} to exit after SIGKILL`, server.exited);
}
