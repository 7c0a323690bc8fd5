// What a test of the embedded PostgreSQL's lifecycle checks after the server has
// gone: that the postmaster went too (its pid file removed, no process left
// running on the data folder), rather than being killed with the process or left
// behind.

import { readdir, readFile, stat } from "node:fs/promises";

/** True when the file exists, undefined otherwise (readable in an expectation's diff). */
export async function exists(file: string): Promise<true | undefined> {
  try {
    await stat(file);
    return true;
  } catch {
    return undefined;
  }
}

/** Processes whose command line names a folder under `parent` (a postmaster runs with -D <data folder>). Linux only. */
export async function postmastersIn(parent: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0");
      if (args.some((a) => a.startsWith(parent))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
