// Spans still open when the tracer shuts down will never be ended by the
// application: shutdown ends them as CANCELLED, so the server shows them over
// rather than running until it closes them as orphans. Spans that ended keep
// their own end.

import { SpanEndReason, SpanState } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { eventually } from "../../test/support/eventually.js";
import { getTrace, spanNamed } from "../../test/support/trace-reader.js";
import { serverPerFile } from "../../test/support/server-per-file.js";
import { createTracingClient } from "../client/tracing-client.js";
import { createTracer } from "../trace/create-tracer.js";

const e2e = serverPerFile();

describe("shutdown with spans open", () => {
  it("ends them as CANCELLED, whether their start had shipped or not", async () => {
    const tracer = createTracer({ serviceName: "stopping-app", url: `http://${e2e.server.grpcAddress}`, env: {} });
    const reader = createTracingClient({ url: `http://${e2e.server.grpcAddress}` });
    try {
      const root = tracer.startSpan("serve", { kind: "server" });
      const done = tracer.startSpan("done", { parent: root });
      done.end({ status: { code: "ok" } });
      const shipped = tracer.startSpan("shipped before", { parent: root });
      await tracer.forceFlush();
      const queued = tracer.startSpan("still queued", { parent: root });
      const traceId = root.spanContext().traceId;

      await tracer.shutdown();
      const trace = await eventually(async () => {
        const t = await getTrace(reader, traceId);
        expect(t?.spans.filter((s) => s.state === SpanState.ENDED)).toHaveLength(4);
        return t!;
      });
      for (const name of ["serve", "shipped before", "still queued"]) {
        expect(spanNamed(trace, name).endReason, name).toBe(SpanEndReason.CANCELLED);
      }
      expect(spanNamed(trace, "done").endReason).toBe(SpanEndReason.COMPLETED);
      expect(tracer.stats()).toMatchObject({ failed: 0, dropped: 0 });
      // The application ending them later changes nothing.
      for (const span of [root, shipped, queued]) span.end();
      expect(tracer.stats().dropped).toBe(3);
    } finally {
      reader.close();
    }
  });
});
