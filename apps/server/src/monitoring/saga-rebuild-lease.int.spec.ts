// A new saga leader rebuilds its state from the whole log before it acts, and on
// a large log that took longer than the lease: unrenewed, the lease lapsed
// mid-rebuild, was taken again, and the rebuild began again, for ever. Here the
// rebuild reads a log in small pages on PostgreSQL with the real lease, each page
// made to wait, so the rebuild outlasts the lease by the test's design rather than
// by the machine's slowness: it must keep the lease and finish, and must give up,
// not act, once another replica has taken it anyway.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventStore, GlobalCheckpoint } from "../event-store/event-store.js";
import type { Logger } from "../log/logger.js";
import { appendTestEvents } from "../subscription/testing/append-test-events.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { MONITORING_SUBSCRIBER, type SagaRunner } from "./saga-runner.js";
import { sagaHarness, spanIdOf, startSpan, traceIdOf, type Harness } from "./testing/saga-harness.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

/**
 * The first test's lease: renewed every third of it, so only a stall of a second (two
 * thirds of it) between two pages could lose it: far longer than a busy machine's stalls.
 */
const LEASE_MS = 1500;
/** Each page of its rebuild waits this long before it is read. */
const PAGE_WAIT_MS = 50;
/** Small pages: many reads, each far shorter than the lease. */
const PAGE = 10;
/** Events the saga skips (not trace events), read all the same: with the spans 71 pages, at least 3.5 s, more than twice the lease. */
const FILLER = 700;
const RUNNING = 3;

/**
 * The second test needs the next renewal to come well before the end of the log, not the
 * lease kept: a short lease, renewed every 100 ms, is at most 11 pages of 10 ms away,
 * in a log of 100 pages that takes a second or more to read.
 */
const SHORT_LEASE_MS = 300;
const SHORT_PAGE_WAIT_MS = 10;
const SHORT_FILLER = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Who holds the saga's lease now (or, not `live`, held it last). */
async function holderOfLease(live = true): Promise<string | undefined> {
  const [row] = await db.sql<{ holder: string; live: boolean }[]>`
    select holder, expires_at > clock_timestamp() as live from leases where name = ${MONITORING_SUBSCRIBER}`;
  return row && (row.live || !live) ? row.holder : undefined;
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await sleep(5);
  }
  throw new Error(`never: ${what}`);
}

/** The store, each page read through it waiting `waitMs` first, and counted. */
function paced(store: EventStore, waitMs: number): EventStore & { pages: number } {
  const counted = Object.create(store) as EventStore & { pages: number };
  counted.pages = 0;
  counted.readAll = async (from: GlobalCheckpoint, limit: number) => {
    counted.pages++;
    await sleep(waitMs);
    return store.readAll(from, limit);
  };
  return counted;
}

/**
 * How long until the lease's holder renews it next: a third of the lease after its last
 * renewal, when two thirds of it are left (the row's expiry is that renewal's time plus the lease).
 */
async function untilNextRenewal(leaseMs: number): Promise<number> {
  const [row] = await db.sql<{ left_ms: string }[]>`
    select extract(epoch from expires_at - clock_timestamp()) * 1000 as left_ms from leases where name = ${MONITORING_SUBSCRIBER}`;
  return Math.max(0, Number(row!.left_ms) - (2 * leaseMs) / 3);
}

/** A log of what the runner said, each line with the pages read by then. */
function recording(store: { pages: number }): Logger & { lines: Map<string, number> } {
  const lines = new Map<string, number>();
  const say = (m: string) => void lines.set(m, store.pages);
  return { lines, info: say, warn: say, error: say, debug: () => {} } as unknown as Logger & { lines: Map<string, number> };
}

/**
 * A log of `filler` events and RUNNING spans still running, read to its end by a leader
 * that then stops and lets the lease go: its checkpoint is the end of the log.
 */
async function largeLog(filler: number): Promise<Harness> {
  await db.sql`truncate events, subscriber_checkpoints, leases, monitoring_alerts, span_index, trace_summaries`;
  const h = sagaHarness(db.sql);
  for (const result of await h.bus.submitAll(Array.from({ length: RUNNING }, () => startSpan(traceIdOf(), spanIdOf(), h.clock.now)))) {
    if (!result.ok) throw new Error(result.error.message);
  }
  await appendTestEvents(h.store, filler);
  const first = h.runner({ holder: "first" });
  await first.step();
  expect(first.isLeader).toBe(true);
  await first.stop();
  return h;
}

/** Another replica, trying for the lease as a follower does while `going()`; true if it ever led. */
async function contend(c: SagaRunner, going: () => boolean): Promise<boolean> {
  let led = false;
  while (going()) {
    await c.step();
    led ||= c.isLeader;
    await sleep(20);
  }
  return led;
}

describe("rebuilding the saga's state on taking the lease", () => {
  it("keeps the lease through a rebuild that outlasts the lease, and finishes it as the leader", async () => {
    const h = await largeLog(FILLER);
    const b = h.runner({ holder: "b", leaseMs: LEASE_MS, batchSize: PAGE, store: paced(h.store, PAGE_WAIT_MS) });
    const c = h.runner({ holder: "c", leaseMs: LEASE_MS });

    const started = performance.now();
    let rebuilding = true;
    const rebuild = b.step().finally(() => (rebuilding = false));
    await until(async () => (await holderOfLease()) === "b", "b holds the lease");
    const cLed = await contend(c, () => rebuilding);
    await rebuild;
    const tookMs = performance.now() - started;

    // The premise: unrenewed, the lease would have lapsed during the rebuild, more than once.
    expect(tookMs).toBeGreaterThan(2 * LEASE_MS);
    expect(cLed).toBe(false);
    expect(b.isLeader).toBe(true);
    expect(await holderOfLease()).toBe("b");
    expect(b.state.liveTraces.size).toBe(RUNNING);
    // And it goes on holding it: the next renewal, once due, finds the lease its own.
    await sleep((await untilNextRenewal(LEASE_MS)) + 10);
    await b.step();
    expect(b.isLeader).toBe(true);
    expect(await holderOfLease()).toBe("b");
    await b.stop();
    await c.stop();
    await h.close();
  }, 30_000);

  it("gives the rebuild up once another replica has taken the lease, and does not act as the leader", async () => {
    const h = await largeLog(SHORT_FILLER);
    const checkpoint = await h.store.loadCheckpoint(MONITORING_SUBSCRIBER);
    const store = paced(h.store, SHORT_PAGE_WAIT_MS);
    const log = recording(store);
    const b = h.runner({ holder: "b", leaseMs: SHORT_LEASE_MS, batchSize: PAGE, store, log });
    const c = h.runner({ holder: "c", leaseMs: SHORT_LEASE_MS });

    const rebuild = b.step();
    await until(() => store.pages >= 10, "b is rebuilding");
    // The operations runbook moves the work: the row expired by hand, and c takes it.
    await db.sql`update leases set expires_at = clock_timestamp() - interval '1 second' where name = ${MONITORING_SUBSCRIBER}`;
    const lostAt = store.pages;
    await c.step();
    expect(c.isLeader).toBe(true);
    await rebuild;

    expect(b.isLeader).toBe(false);
    expect(log.lines.has("monitoring: saga state rebuilt")).toBe(false);
    // It stopped at its next renewal, long before the end of the log (then read on as a follower).
    const gaveUpAt = log.lines.get("monitoring: the lease was lost while rebuilding the saga's state; this replica stays a follower");
    expect(gaveUpAt).toBeDefined();
    expect(gaveUpAt! - lostAt).toBeLessThan(SHORT_FILLER / PAGE / 2);
    // Nobody renews c's lease here (c takes no more steps), but nobody else took it either.
    expect(await holderOfLease(false)).toBe("c");
    expect(await h.store.loadCheckpoint(MONITORING_SUBSCRIBER)).toEqual(checkpoint);
    await b.stop();
    await c.stop();
    await h.close();
  }, 30_000);
});
