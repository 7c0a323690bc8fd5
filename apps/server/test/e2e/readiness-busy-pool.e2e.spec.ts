// /readyz asks PostgreSQL over a connection of its own: a pool kept busy (here
// every connection waits on a lock, as it might behind a long ingest) does not
// make a healthy replica look unready. Before, the probe's `select 1` queued
// behind the pool, timed out after 1 s, and answered 503.

import { describe, expect, it } from "vitest";
import { newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { until } from "./support/wait.js";

const e2e = serverPerFile();

describe("/readyz with the server's pool busy", () => {
  it("answers ready at once while every pooled connection waits", async () => {
    let letGo: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const held = e2e.db.sql
      .begin(async (tx) => {
        await tx`lock table events in access exclusive mode`;
        locked();
        await new Promise<void>((release) => (letGo = release));
      })
      .catch(() => undefined);
    await lockTaken;
    // More reads than the pool has connections (10): each waits on the lock holding one.
    const reads = Array.from({ length: 14 }, () => e2e.client.getTrace({ traceId: newTraceId() }).catch(() => undefined));
    try {
      await until(15_000, "the server's pool to be all waiting on the lock", async () => {
        const [row] = await e2e.db.sql<{ n: number }[]>`
          select count(*)::int4 as n from pg_stat_activity
          where datname = current_database() and application_name = 'traceledger' and wait_event_type = 'Lock'`;
        return row!.n >= 10 ? true : undefined;
      });
      const response = await fetch(`http://${e2e.server.httpAddress}/readyz`);
      expect(await response.json()).toEqual({ status: "ready" });
      expect(response.status).toBe(200);
    } finally {
      letGo();
      await held;
      await Promise.all(reads);
    }
  });
});
