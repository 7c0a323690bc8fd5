// What the specs of the watch RPCs (WatchTrace, WatchAlerts) share: a replica
// whose store counts the reads its watchers make, a change feed whose shared
// poll asks that store and counts the questions, and watchers reading in the
// background. Idle watchers must cost the store the poll's questions, not a
// read each.

import { onTestFinished } from "vitest";
import type { EventStore } from "../../event-store/event-store.js";
import { TraceChangeFeed } from "../../live/trace-change-feed.js";
import { until as pollUntil } from "../../../test/e2e/support/wait.js";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A replica's view of a shared store: the same store, with its readStream calls counted. */
export interface CountingReplica {
  readonly store: EventStore;
  /** A change feed polling the shared store every pollMs, with its questions counted. */
  readonly changes: TraceChangeFeed;
  reads(): number;
  questions(): number;
}

export function countingReplica(shared: EventStore, pollMs: number): CountingReplica {
  let reads = 0;
  let questions = 0;
  const store = new Proxy(shared, {
    get(target, property, receiver) {
      if (property === "readStream") return (...args: Parameters<EventStore["readStream"]>) => (reads++, target.readStream(...args));
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  const changes = new TraceChangeFeed({
    pollMs,
    heads: async (streamIds) => {
      questions++;
      return new Map(await Promise.all(streamIds.map(async (id) => [id, await shared.streamVersion(id)] as const)));
    },
  });
  return { store, changes, reads: () => reads, questions: () => questions };
}

/** A shutdown for the test's replicas, aborted when the test ends (its watchers end with it). */
export function stopAfterTest(): AbortController {
  const stop = new AbortController();
  onTestFinished(() => stop.abort());
  return stop;
}

/** Reads a server stream in the background: the messages received so far. */
export function readInBackground<T>(stream: AsyncIterable<T>): T[] {
  const received: T[] = [];
  void (async () => {
    for await (const message of stream) received.push(message);
  })().catch(() => undefined);
  return received;
}

/** Waits for a condition, at most `ms`: the e2e tests' bounded poll, for a plain yes or no. */
export async function until(ms: number, what: string, check: () => boolean): Promise<void> {
  await pollUntil(ms, what, () => (check() ? true : undefined));
}
