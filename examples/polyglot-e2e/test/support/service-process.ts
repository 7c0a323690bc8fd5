// One service of the chain as its own OS process: started with the contract's
// environment, ready once it has printed {"listening":<port>} on stdout, and
// stopped with SIGTERM (SIGKILL if it does not exit).

import { spawn } from "node:child_process";

export interface ServiceCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
}

export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  /** Everything it wrote to stdout and stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startService(name: string, run: ServiceCommand, env: Record<string, string>, ms = 60_000): Promise<ServiceProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv["NODE_OPTIONS"]; // the test runner's hooks must not reach the service
  const child = spawn(run.command, [...run.args], { cwd: run.cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let stdout = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not print {"listening":<port>} within ${ms} ms:\n${output}`)), ms);
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      stdout += chunk.toString();
      const lines = stdout.split("\n");
      stdout = lines.pop() ?? "";
      for (const line of lines) {
        const listening = listeningPort(line);
        if (listening !== undefined) {
          clearTimeout(timer);
          resolve(listening);
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not start (${run.command}): ${error.message}`));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${child.exitCode}, signal ${child.signalCode}) before listening:\n${output}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    return { name, url: `http://127.0.0.1:${await port}`, output: () => output, stop };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

function listeningPort(line: string): number | undefined {
  try {
    const parsed = JSON.parse(line) as { listening?: unknown };
    return typeof parsed.listening === "number" ? parsed.listening : undefined;
  } catch {
    return undefined;
  }
}
