import { setMaxListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { TraceChangeFeed, type StreamHeads } from "./trace-change-feed.js";

const POLL_MS = 30;
const trace = (n: number) => n.toString(16).padStart(32, "0");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store's heads: versions the test sets, and every question asked. */
function fakeHeads(): { heads: StreamHeads; versions: Map<string, number>; asked: string[][]; fail: { next: boolean } } {
  const versions = new Map<string, number>();
  const asked: string[][] = [];
  const fail = { next: false };
  return {
    versions,
    asked,
    fail,
    heads: async (traceIds) => {
      asked.push([...traceIds]);
      if (fail.next) {
        fail.next = false;
        throw new Error("the database is away");
      }
      return new Map(traceIds.filter((id) => versions.has(id)).map((id) => [id, versions.get(id)!]));
    },
  };
}

/** Whether the promise settled within `ms`. */
async function settled(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await sleep(ms);
  return done;
}

const aborts: AbortController[] = [];
afterEach(() => {
  for (const abort of aborts.splice(0)) abort.abort();
});
function signal(): AbortSignal {
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  aborts.push(abort);
  return abort.signal;
}

describe("TraceChangeFeed.follow with a shared poll", () => {
  it("asks the store once per poll for all the traces followed, however many followers", async () => {
    const store = fakeHeads();
    const feed = new TraceChangeFeed({ heads: store.heads, pollMs: POLL_MS });
    const s = signal();
    for (let i = 1; i <= 50; i++) {
      store.versions.set(trace(i), 3);
      feed.follow(trace(i), () => 3, s);
      feed.follow(trace(i), () => 3, s); // two watchers of the same trace
    }
    await sleep(POLL_MS * 4.5);
    expect(store.asked.length).toBeGreaterThanOrEqual(2);
    expect(store.asked.length).toBeLessThanOrEqual(5);
    for (const question of store.asked) expect(question.sort()).toEqual(Array.from({ length: 50 }, (_, i) => trace(i + 1)).sort());
  });

  it("wakes, within a poll, the followers of a trace that moved past what they have read (another replica's commit), and only them", async () => {
    const store = fakeHeads();
    const feed = new TraceChangeFeed({ heads: store.heads, pollMs: POLL_MS });
    const s = signal();
    store.versions.set(trace(1), 2);
    store.versions.set(trace(2), 2);
    const moved = feed.follow(trace(1), () => 2, s);
    const still = feed.follow(trace(2), () => 2, s);
    expect(await settled(moved.changed, POLL_MS * 3)).toBe(false);
    store.versions.set(trace(1), 3);
    expect(await settled(moved.changed, POLL_MS * 3)).toBe(true);
    expect(await settled(still.changed, POLL_MS * 3)).toBe(false);
  });

  it("compares with what the follower has read when the poll looks, not when it began to wait", async () => {
    const store = fakeHeads();
    const feed = new TraceChangeFeed({ heads: store.heads, pollMs: POLL_MS });
    let read = 0;
    store.versions.set(trace(1), 5);
    const following = feed.follow(trace(1), () => read, signal());
    read = 5; // it read up to 5 meanwhile
    expect(await settled(following.changed, POLL_MS * 3)).toBe(false);
  });

  it("a local commit (notify) wakes at once, without waiting for the poll", async () => {
    const store = fakeHeads();
    const feed = new TraceChangeFeed({ heads: store.heads, pollMs: 60_000 });
    const following = feed.follow(trace(1), () => 0, signal());
    feed.notify(trace(1));
    expect(await settled(following.changed, 5)).toBe(true);
  });

  it("does not poll while nobody follows, and stops once the last follower is gone", async () => {
    const store = fakeHeads();
    const feed = new TraceChangeFeed({ heads: store.heads, pollMs: POLL_MS });
    await sleep(POLL_MS * 3);
    expect(store.asked).toEqual([]);
    const abort = new AbortController();
    const following = feed.follow(trace(1), () => 0, abort.signal);
    const cancelled = feed.follow(trace(2), () => 0, signal());
    cancelled.cancel();
    await sleep(POLL_MS * 2.5);
    expect(store.asked.length).toBeGreaterThan(0);
    expect(store.asked.flat()).not.toContain(trace(2));
    abort.abort();
    expect(await settled(following.changed, 5)).toBe(true);
    await sleep(POLL_MS * 2);
    const asked = store.asked.length;
    await sleep(POLL_MS * 3);
    expect(store.asked.length).toBe(asked);
  });

  it("when the store does not answer, wakes the followers to read for themselves", async () => {
    const store = fakeHeads();
    const feed = new TraceChangeFeed({ heads: store.heads, pollMs: POLL_MS });
    store.fail.next = true;
    const following = feed.follow(trace(1), () => 0, signal());
    expect(await settled(following.changed, POLL_MS * 3)).toBe(true);
  });

  it("wakeAll (shutdown) wakes every follower", async () => {
    const feed = new TraceChangeFeed({ heads: fakeHeads().heads, pollMs: 60_000 });
    const following = [feed.follow(trace(1), () => 0, signal()), feed.follow(trace(2), () => 0, signal())];
    feed.wakeAll();
    expect(await settled(Promise.all(following.map((f) => f.changed)), 5)).toBe(true);
  });
});

describe("TraceChangeFeed without a shared poll", () => {
  it("wakes each follower every pollMs to read for itself", async () => {
    const feed = new TraceChangeFeed({ pollMs: POLL_MS });
    const following = feed.follow(trace(1), () => 0, signal());
    expect(await settled(following.changed, POLL_MS * 3)).toBe(true);
  });
});
