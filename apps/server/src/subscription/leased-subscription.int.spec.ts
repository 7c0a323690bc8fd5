// The leased, checkpointed subscriber on the real PostgreSQL: two instances, one
// runs; the other takes over when the holder stops renewing (cut off from the
// database) or releases; events in flight at a takeover arrive again, marked
// redelivered; the checkpoint moves only after the handler resolved.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../database/open-database.js";
import { START_OF_LOG, type StoredEvent } from "../event-store/event-store.js";
import { PostgresEventStore } from "../event-store/postgres/postgres-event-store.js";
import { compareCheckpoints } from "../event-store/rules.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { until } from "../../test/e2e/support/wait.js";
import { LeasedSubscription, type LeasedSubscriptionOptions } from "./leased-subscription.js";
import { PostgresSubscriptionLease } from "./postgres/postgres-subscription-lease.js";
import type { SubscriptionContext, SubscriptionHandler } from "./subscription-handler.js";
import { appendTestEvents, testEventNumber } from "./testing/append-test-events.js";

let db: TestDatabase;
const running: LeasedSubscription[] = [];
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await db.truncate();
});
afterAll(async () => {
  await db?.drop();
});

interface Delivery {
  readonly holder: string;
  readonly numbers: number[];
  readonly redelivered: number;
}

function subscription(sql: Sql, handler: SubscriptionHandler, options: Partial<LeasedSubscriptionOptions> = {}): LeasedSubscription {
  const store = new PostgresEventStore(sql);
  const s = new LeasedSubscription({
    store,
    lease: new PostgresSubscriptionLease(sql),
    subscriberId: `subscription-spec-${n}`,
    handler,
    idleMs: 20,
    leaseTtlMs: 60_000,
    claimIntervalMs: 20,
    ...options,
  });
  running.push(s);
  return s;
}

/** A handler that records what it was given, by whom. */
function recorder(deliveries: Delivery[], holder: () => string, behave?: (events: readonly StoredEvent[], context: SubscriptionContext) => Promise<void>): SubscriptionHandler {
  return {
    handle: async (events, context) => {
      deliveries.push({ holder: holder(), numbers: events.map((e) => testEventNumber(e.payload)), redelivered: context.redelivered });
      await behave?.(events, context);
    },
  };
}

const handled = (deliveries: readonly Delivery[]) => deliveries.flatMap((d) => d.numbers);

/** Who the lease row of this test's subscriber names (what every replica's claim goes by). */
async function leaseHolder(): Promise<string | undefined> {
  const rows = await db.sql<{ holder: string }[]>`select holder from leases where name = ${`subscription-spec-${n}`}`;
  return rows[0]?.holder;
}

/** Resolves when the signal aborts, then throws as an interrupted effect would. */
function hangUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new Error("interrupted"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

describe("LeasedSubscription", () => {
  it("runs on one of two instances, which handles every event once and in log order", async () => {
    n++;
    const deliveries: Delivery[] = [];
    const lags: number[] = [];
    // Both report lag: either may win the lease (a starts first, but on a busy machine b can claim first).
    const observer = { setSubscriberLag: (_: string, seconds: number) => lags.push(seconds) };
    const a = subscription(db.sql, recorder(deliveries, () => "a"), { holder: "a", batchSize: 7, observer });
    const b = subscription(db.sql, recorder(deliveries, () => "b"), { holder: "b", batchSize: 7, observer });
    a.start();
    b.start();
    const store = new PostgresEventStore(db.sql);
    for (let i = 0; i < 5; i++) await appendTestEvents(store, 10, i * 10);
    await until(10_000, "all 50 events handled", () => (handled(deliveries).length >= 50 ? true : undefined));
    expect(handled(deliveries)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(new Set(deliveries.map((d) => d.holder)).size).toBe(1);
    expect(await leaseHolder()).toBe(deliveries[0]!.holder);
    expect(deliveries.every((d) => d.redelivered === 0)).toBe(true);
    await until(5_000, "lag 0 reported once caught up", () => (lags.includes(0) ? true : undefined));
  });

  it("is taken over when its holder stops renewing, and what was in flight comes again as redelivered", async () => {
    n++;
    const cutOff = db.client(3);
    const deliveries: Delivery[] = [];
    let slices = 0;
    // a handles the first slice, then hangs in the second, as a process that lost its database.
    const a = subscription(
      cutOff,
      recorder(deliveries, () => "a", async (_, context) => {
        if (++slices === 2) await hangUntilAborted(context.signal);
      }),
      { holder: "a", batchSize: 5, leaseTtlMs: 300 },
    );
    const b = subscription(db.sql, recorder(deliveries, () => "b"), { holder: "b", batchSize: 5, leaseTtlMs: 300 });
    const store = new PostgresEventStore(db.sql);
    await appendTestEvents(store, 20);
    a.start();
    await until(10_000, "a to be in its second slice", () => (slices === 2 ? true : undefined));
    b.start();
    await cutOff.end({ timeout: 0 });

    await until(10_000, "b to handle the rest", () => (handled(deliveries.filter((d) => d.holder === "b")).includes(19) ? true : undefined));
    const byA = deliveries.filter((d) => d.holder === "a");
    const byB = deliveries.filter((d) => d.holder === "b");
    expect(byA.map((d) => d.numbers)).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
    // The slice a was handling when it was cut off is redelivered, and only it.
    expect(byB[0]).toEqual({ holder: "b", numbers: [5, 6, 7, 8, 9], redelivered: 5 });
    expect(byB.slice(1).every((d) => d.redelivered === 0)).toBe(true);
    expect(handled(byB)).toEqual(Array.from({ length: 15 }, (_, i) => i + 5));
    expect(await leaseHolder()).toBe("b");
  });

  it("hands over at once when its holder stops (the lease is released, not left to expire)", async () => {
    n++;
    const deliveries: Delivery[] = [];
    const a = subscription(db.sql, recorder(deliveries, () => "a"), { holder: "a" });
    a.start();
    const store = new PostgresEventStore(db.sql);
    await appendTestEvents(store, 3);
    await until(10_000, "a handled 3 events", () => (handled(deliveries).length === 3 ? true : undefined));
    const b = subscription(db.sql, recorder(deliveries, () => "b"), { holder: "b" });
    b.start();
    await a.stop();
    // The lease lasts a minute: only a release lets b in within this test's time.
    await appendTestEvents(store, 2, 3);
    await until(10_000, "b handled the next events", () => (handled(deliveries).length === 5 ? true : undefined));
    expect(deliveries.map((d) => d.holder)).toEqual(["a", "b"]);
    expect(handled(deliveries)).toEqual([0, 1, 2, 3, 4]);
    expect(deliveries[1]!.redelivered).toBe(0);
  });

  it("moves the checkpoint only after the handler resolved, and hands failed events back as redelivered", async () => {
    n++;
    const store = new PostgresEventStore(db.sql);
    const deliveries: Delivery[] = [];
    const checkpoints: Array<typeof START_OF_LOG> = [];
    let failures = 0;
    const s = subscription(
      db.sql,
      recorder(deliveries, () => "a", async () => {
        checkpoints.push(await store.loadCheckpoint(`subscription-spec-${n}`));
        if (failures++ < 2) throw new Error("downstream unavailable");
      }),
      { holder: "a" },
    );
    await appendTestEvents(store, 4);
    s.start();
    await until(10_000, "a third attempt", () => (deliveries.length === 3 ? true : undefined));
    await until(5_000, "the checkpoint to move", async () => (compareCheckpoints(await store.loadCheckpoint(`subscription-spec-${n}`), START_OF_LOG) > 0 ? true : undefined));
    expect(deliveries.map((d) => d.numbers)).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    expect(deliveries.map((d) => d.redelivered)).toEqual([0, 4, 4]);
    expect(checkpoints).toEqual([START_OF_LOG, START_OF_LOG, START_OF_LOG]);
  });

  it("gives the handler only what take() asks for, saving the checkpoint after each part", async () => {
    n++;
    const store = new PostgresEventStore(db.sql);
    const deliveries: Delivery[] = [];
    const checkpoints: Array<typeof START_OF_LOG> = [];
    const base = recorder(deliveries, () => "a", async () => {
      checkpoints.push(await store.loadCheckpoint(`subscription-spec-${n}`));
    });
    const s = subscription(db.sql, { take: () => 3, handle: base.handle }, { holder: "a" });
    await appendTestEvents(store, 10);
    s.start();
    await until(10_000, "all 10 events", () => (handled(deliveries).length === 10 ? true : undefined));
    expect(deliveries.map((d) => d.numbers)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    for (let i = 1; i < checkpoints.length; i++) expect(compareCheckpoints(checkpoints[i]!, checkpoints[i - 1]!)).toBe(1);
  });
});
