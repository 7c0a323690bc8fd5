// A server that takes calls and never answers them (here: its database hangs,
// the events table locked by someone else) is an outage like one that refuses
// connections: every deadline that passes is retried, past maxAttempts, and
// what was queued arrives once the server answers again, once.

import { SpanState } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { eventually } from "../../test/support/eventually.js";
import { getTrace } from "../../test/support/trace-reader.js";
import { holdEventWrites } from "../../../../apps/server/test/e2e/support/held-event-writes.js";
import { serverPerFile } from "../../test/support/server-per-file.js";
import { createTracingClient } from "../client/tracing-client.js";
import { createTracer } from "../trace/create-tracer.js";

const e2e = serverPerFile();

describe("a server that never answers", () => {
  it("has every deadline retried until it answers again, and loses nothing", async () => {
    const warnings: string[] = [];
    const tracer = createTracer({
      serviceName: "patient-app",
      url: `http://${e2e.server.grpcAddress}`,
      env: {},
      timeoutMs: 150,
      // maxAttempts is left at 10: the hang outlasts it several times over.
      batch: { flushIntervalMs: 20, initialBackoffMs: 10, maxBackoffMs: 20 },
      onWarning: (message) => warnings.push(message),
    });
    const reader = createTracingClient({ url: `http://${e2e.server.grpcAddress}` });
    const lock = await holdEventWrites(e2e.database.client(1));
    try {

      const traceIds = Array.from({ length: 5 }, (_, i) => tracer.withSpan(`while hanging ${i}`, (span) => span.spanContext().traceId));
      // Far more deadlines than maxAttempts allows a batch that could be at fault.
      await eventually(() => expect(tracer.stats().rpcs).toBeGreaterThan(25), 20_000);
      expect(tracer.stats()).toMatchObject({ failed: 0, dropped: 0, sent: 0 });
      expect(warnings.filter((w) => w.includes("retrying until it is back"))).toHaveLength(1);

      await lock.release();
      await tracer.forceFlush(10_000);
      for (const traceId of traceIds) {
        await eventually(async () => {
          const trace = await getTrace(reader, traceId);
          expect(trace?.spans.map((s) => s.state)).toEqual([SpanState.ENDED]);
        });
      }
      expect(tracer.stats()).toMatchObject({ failed: 0, dropped: 0, queued: 0, sent: 10 });
    } finally {
      await lock.release();
      reader.close();
      await tracer.shutdown(1_000);
    }
  });
});
