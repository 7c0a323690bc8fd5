// briefFlush against a stand-in tracer: traceledger late, then answering again.

import type { Tracer, TracingStats } from "@traceledger/sdk";
import { expect, it } from "vitest";
import { briefFlush, FLUSH_WAIT_MS } from "./brief-flush.js";

it("stops waiting after a late flush, and waits again once traceledger has answered", async () => {
  let sent = 0;
  let flushes = 0;
  let settle: Promise<void> = new Promise<void>(() => undefined); // traceledger silent: never settles
  const tracer = {
    forceFlush: () => (flushes++, settle),
    stats: (): TracingStats => ({ queued: 0, inFlight: 0, sent, dropped: 0, failed: 0, retried: 0, rpcs: 0 }),
  } as unknown as Tracer;
  const flush = briefFlush(tracer);
  const timed = async () => {
    const began = performance.now();
    await flush();
    return performance.now() - began;
  };

  expect(await timed()).toBeGreaterThanOrEqual(FLUSH_WAIT_MS - 5); // late
  expect(await timed()).toBeLessThan(50); // not waited for...
  expect(flushes).toBe(2); // ...but still flushed

  sent = 1; // traceledger answered a batch
  let settled = false;
  settle = new Promise<void>((resolve) => setTimeout(resolve, 100)).then(() => void (settled = true));
  await flush();
  expect(settled).toBe(true); // waited for again
});
