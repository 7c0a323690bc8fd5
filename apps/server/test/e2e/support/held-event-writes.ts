// Makes "a write is in flight" certain rather than hoped for: an EXCLUSIVE lock
// on the events table lets reads pass and makes every append wait in
// PostgreSQL (seen in pg_stat_activity) until the test lets go.

import type { Sql } from "../../../src/database/open-database.js";
import { until, within } from "./wait.js";

export interface HeldEventWrites {
  /** Resolves once a server's append (application_name 'traceledger') waits on the lock. */
  appendWaiting(ms?: number): Promise<void>;
  /** Lets the writes go; safe to call twice. */
  release(): Promise<void>;
}

/** Takes the lock in a transaction of its own on `sql` (which needs a second connection for appendWaiting). */
export async function holdEventWrites(sql: Sql): Promise<HeldEventWrites> {
  let letGo: () => void = () => undefined;
  let held: Promise<unknown> = Promise.resolve();
  const locked = new Promise<void>((resolve) => {
    held = sql
      .begin(async (tx) => {
        await tx`lock table events in exclusive mode`;
        resolve();
        await new Promise<void>((release) => (letGo = release));
      })
      .catch(() => undefined);
  });
  await within(10_000, "the test's lock on the events table", locked);
  return {
    appendWaiting: (ms = 15_000) =>
      until(ms, "the server's append to wait on the test's lock", async () => {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int4 as n from pg_stat_activity
          where datname = current_database() and application_name = 'traceledger' and wait_event_type = 'Lock'`;
        return row!.n > 0 ? true : undefined;
      }).then(() => undefined),
    release: async () => {
      letGo();
      await held;
    },
  };
}
