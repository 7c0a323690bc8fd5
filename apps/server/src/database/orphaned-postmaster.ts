// A PostgreSQL that an earlier traceledger started and left behind when it died
// without its own shutdown (kill -9, an out-of-memory kill): the postmaster runs
// on, re-parented to init, and holds the data folder, so every later start failed
// with "in use" until someone found it and killed it by hand. It is recognised by
// postmaster.pid naming a live process that is ours (the flags the embedded
// cluster is started with), whose parent is gone; such a server has no client
// left, and a fast shutdown (SIGINT) stops it cleanly. Linux only (/proc); a
// server anywhere else, or one some other program owns, is left alone.

import { readFile } from "node:fs/promises";
import path from "node:path";

/** The pid of the orphaned postmaster stopped, or undefined when there was none. */
export async function stopOrphanedPostmaster(dataDir: string, timeoutMs = 30_000): Promise<number | undefined> {
  const pid = await postmasterPid(dataDir);
  if (pid === undefined || !(await isOrphanedEmbeddedServer(pid, dataDir))) return undefined;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`a PostgreSQL left running in ${dataDir} (pid ${pid}) did not stop within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return pid;
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const first = (await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0] ?? "";
    const pid = Number(first.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function isOrphanedEmbeddedServer(pid: number, dataDir: string): Promise<boolean> {
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    // Started by startEmbeddedDatabase: postgres -D <dataDir> ... -c unix_socket_directories=
    const ours = path.basename(args[0] ?? "") === "postgres" && args[args.indexOf("-D") + 1] === dataDir && args.includes("unix_socket_directories=");
    if (!ours) return false;
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    // Re-parented to init or a subreaper (systemd, tini): anything but a live Node.js that started it.
    // PID 1 too is asked: a traceledger run as a container's first process is PID 1, and alive.
    const parent = (await readFile(`/proc/${ppid}/cmdline`, "utf8")).split("\0")[0] ?? "";
    return !/node(js)?$/.test(path.basename(parent)) && path.basename(parent) !== path.basename(process.execPath);
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
