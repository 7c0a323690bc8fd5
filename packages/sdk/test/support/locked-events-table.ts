// Holds the server's events table locked from a connection of its own, so that
// a batch reaches the real server and waits inside it (a server, or its
// database, that takes calls and does not answer yet).

import type { TestDatabase } from "./traceledger-server.js";

export interface LockedEventsTable {
  /** Lets the waiting writes through; resolves once the lock is given back. */
  release(): Promise<void>;
}

export async function lockEventsTable(database: TestDatabase): Promise<LockedEventsTable> {
  const locker = database.client(1);
  let letGo = () => {};
  const released = new Promise<void>((resolve) => (letGo = resolve));
  let onLocked = () => {};
  const locked = new Promise<void>((resolve) => (onLocked = resolve));
  const holding = locker.begin(async (tx) => {
    await tx`lock table events in exclusive mode`;
    onLocked();
    await released;
  });
  await locked;
  return {
    async release() {
      letGo();
      await holding;
    },
  };
}
