// The lease on the real PostgreSQL: one holder at a time, expiry on the
// database's clock, a token that fences out earlier holders, release, the
// in-flight marker handed to the next holder, and the checkpoint moved only
// by the holder, in one transaction with a renewal.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { START_OF_LOG } from "../../event-store/event-store.js";
import { PostgresEventStore } from "../../event-store/postgres/postgres-event-store.js";
import { PostgresSubscriptionLease } from "./postgres-subscription-lease.js";

let db: TestDatabase;
let lease: PostgresSubscriptionLease;
let n = 0;
const subscriber = () => `lease-spec-${++n}`;

beforeAll(async () => {
  db = await createTestDatabase();
  lease = new PostgresSubscriptionLease(db.sql);
});
afterAll(async () => {
  await db?.drop();
});

/** Claims for `holder` until the lease (ttl `ttlMs` for the one who holds it) has expired. */
async function claimOnceExpired(id: string, holder: string) {
  for (let i = 0; i < 500; i++) {
    const claim = await lease.claim(id, 0, holder, 60_000);
    if (claim) return claim;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${holder} never got the lease of ${id}`);
}

describe("PostgresSubscriptionLease", () => {
  it("gives a free lease to the first claimant and refuses others while it lasts", async () => {
    const id = subscriber();
    const a = await lease.claim(id, 0, "a", 60_000);
    expect(a).toMatchObject({ subscriberId: id, shard: 0, holder: "a", token: 1n, inFlight: undefined });
    expect(await lease.claim(id, 0, "b", 60_000)).toBeUndefined();
    expect(await lease.renew(a!, 60_000)).toBe(true);
    expect(await lease.claim(id, 0, "b", 60_000)).toBeUndefined();
  });

  it("keeps shards and subscribers apart", async () => {
    const id = subscriber();
    expect(await lease.claim(id, 0, "a", 60_000)).toBeDefined();
    expect(await lease.claim(id, 1, "b", 60_000)).toMatchObject({ shard: 1, token: 1n });
    expect(await lease.claim(subscriber(), 0, "b", 60_000)).toMatchObject({ token: 1n });
  });

  it("lets another take an expired lease, with a new token that fences the old holder out", async () => {
    const id = subscriber();
    const a = (await lease.claim(id, 0, "a", 50))!;
    const b = await claimOnceExpired(id, "b");
    expect(b.token).toBe(a.token + 1n);
    expect(await lease.renew(a, 60_000)).toBe(false);
    expect(await lease.markInFlight(a, { transactionId: 5n, position: 7n }, 60_000)).toBe(false);
    expect(await lease.claim(id, 0, "a", 60_000)).toBeUndefined();
    expect(await lease.renew(b, 60_000)).toBe(true);
  });

  it("lets another claim at once after a release", async () => {
    const id = subscriber();
    const a = (await lease.claim(id, 0, "a", 600_000))!;
    await lease.release(a);
    expect(await lease.claim(id, 0, "b", 60_000)).toMatchObject({ holder: "b", token: 2n });
    await lease.release(a); // a stale release changes nothing
    expect(await lease.claim(id, 0, "c", 60_000)).toBeUndefined();
  });

  it("gives a holder that claims again a new token, so its earlier tenure is fenced out", async () => {
    const id = subscriber();
    const first = (await lease.claim(id, 0, "a", 60_000))!;
    const second = (await lease.claim(id, 0, "a", 60_000))!;
    expect(second.token).toBe(first.token + 1n);
    expect(await lease.renew(first, 60_000)).toBe(false);
    expect(await lease.renew(second, 60_000)).toBe(true);
  });

  it("hands the in-flight marker of one tenure to the next", async () => {
    const id = subscriber();
    const a = (await lease.claim(id, 0, "a", 50))!;
    expect(await lease.markInFlight(a, { transactionId: 900n, position: 42n }, 50)).toBe(true);
    expect(await lease.markInFlight(a, { transactionId: 901n, position: 43n }, 50)).toBe(true);
    const b = await claimOnceExpired(id, "b");
    expect(b.inFlight).toEqual({ transactionId: 901n, position: 43n });
  });

  it("refuses to renew a lease that lapsed, even when nobody claimed it since", async () => {
    const id = subscriber();
    const a = (await lease.claim(id, 0, "a", 60_000))!;
    // What the operations runbook does to move the work: expire the row by hand.
    await db.sql`update leases set expires_at = now() - interval '1 second' where name = ${id}`;
    expect(await lease.renew(a, 60_000)).toBe(false);
    expect(await lease.markInFlight(a, { transactionId: 5n, position: 7n }, 60_000)).toBe(false);
    expect(await lease.commitCheckpoint(a, START_OF_LOG, { transactionId: 5n, position: 7n }, 60_000)).toBe("lease_lost");
    expect(await lease.claim(id, 0, "a", 60_000)).toMatchObject({ token: a.token + 1n });
  });

  it("moves the checkpoint only for the holder, by compare-and-set, renewing the lease", async () => {
    const id = subscriber();
    const store = new PostgresEventStore(db.sql);
    const first = { transactionId: 900n, position: 42n };
    const second = { transactionId: 901n, position: 43n };
    const a = (await lease.claim(id, 0, "a", 50))!;
    expect(await lease.commitCheckpoint(a, START_OF_LOG, first, 60_000)).toBe("committed");
    expect(await store.loadCheckpoint(id)).toEqual(first);
    // The commit renewed the 50 ms lease for a minute: nobody else may claim it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await lease.claim(id, 0, "b", 60_000)).toBeUndefined();
    expect(await lease.commitCheckpoint(a, START_OF_LOG, second, 60_000)).toBe("checkpoint_moved");
    expect(await lease.commitCheckpoint(a, first, first, 60_000)).toBe("committed");
    expect(await store.loadCheckpoint(id)).toEqual(first);

    await lease.release(a);
    const b = (await lease.claim(id, 0, "b", 60_000))!;
    expect(await lease.commitCheckpoint(a, first, second, 60_000)).toBe("lease_lost");
    expect(await store.loadCheckpoint(id)).toEqual(first);
    expect(await lease.commitCheckpoint(b, first, second, 60_000)).toBe("committed");
    expect(await store.loadCheckpoint(id)).toEqual(second);
  });

  it("lets exactly one of many simultaneous claimants win", async () => {
    const id = subscriber();
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => lease.claim(id, 0, `h${i}`, 60_000)));
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
  });
});
