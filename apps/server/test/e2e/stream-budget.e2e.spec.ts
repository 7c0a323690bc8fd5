// TRACELEDGER_MAX_OPEN_STREAMS bounds the server streams open at once in one
// process, both doors together: past it a new watch gets RESOURCE_EXHAUSTED
// (TOO_MANY_STREAMS) at once, and a place freed by a watch that ends is taken by
// the next. Before, every idle watcher was accepted: 5,000 of them slowed every
// other call of the replica by seconds.

import { describe, expect, it } from "vitest";
import { connectError } from "./support/error-details.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { readIterable } from "./support/stream-reader.js";
import { until } from "./support/wait.js";

const e2e = serverPerFile({ TRACELEDGER_MAX_OPEN_STREAMS: "2" });

describe("server streams past the process's bound", () => {
  it("are refused with RESOURCE_EXHAUSTED until a place is free", async () => {
    const traceId = newTraceId();
    await e2e.client.startSpan({ traceId, spanId: newSpanId(), name: "watched", serviceName: "budget" });
    const aborts = [new AbortController(), new AbortController(), new AbortController()];
    try {
      const watches = aborts.slice(0, 2).map((abort) => readIterable(e2e.client.watchTrace({ traceId }, { signal: abort.signal })));
      for (const watch of watches) await watch.take(2, 10_000, "the replay");

      const refused = readIterable(e2e.client.watchTrace({ traceId }));
      const end = await refused.ending(10_000);
      expect(end.ok).toBe(false);
      expect(connectError(end.ok ? undefined : end.error)).toMatchObject({ code: "resource_exhausted", reason: "TOO_MANY_STREAMS", metadata: { limit: "2" } });
      // The bound is the process's, not the trace's.
      const other = readIterable(e2e.client.watchTrace({ traceId: newTraceId() }));
      expect((await other.ending(10_000)).ok).toBe(false);

      aborts[0]!.abort();
      // The server frees the place once it sees the cancel: a new watch is then taken.
      const next = await until(10_000, "a place to be freed", async () => {
        const attempt = readIterable(e2e.client.watchTrace({ traceId }, { signal: aborts[2]!.signal }));
        try {
          return (await attempt.take(2, 2_000, "the replay")).length === 2 ? attempt : undefined;
        } catch {
          return undefined;
        }
      });
      expect(next.pending).toHaveLength(0);
    } finally {
      for (const abort of aborts) abort.abort();
    }
  });
});
