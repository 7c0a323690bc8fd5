// The saga closes a trace begun elsewhere once it has been idle; a span that
// started in it meanwhile (even one the saga has not read yet: a transaction
// open elsewhere holds its reads back) keeps running and ends normally.
import { SpanEndReason, StatusCode } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { connectError } from "./support/error-details.js";
import { hex, newSpanId, newTraceId, traceparentOf } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { until } from "./support/wait.js";

const e2e = serverPerFile({ MONITORING_TRACE_IDLE_TIMEOUT_MS: "1500", MONITORING_TICK_MS: "50" });
const J = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x instanceof Uint8Array ? hex(x) : x));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A trace begun elsewhere: A (remote parent) ran and ended; then B starts in it and runs ~3.5 s. */
async function scenario(holdHorizon: boolean) {
  const traceId = newTraceId();
  const remoteParent = newSpanId();
  const a = newSpanId();
  const b = newSpanId();
  await e2e.client.startSpan({ traceparent: traceparentOf(traceId, remoteParent), spanId: a, name: "A", serviceName: "edge" });
  await e2e.client.endSpan({ traceId, spanId: a, status: { code: StatusCode.OK } });
  await sleep(400); // the saga has read A's start and end
  const held = holdHorizon ? await e2e.db.client(1).reserve() : undefined;
  if (held) {
    await held`begin`;
    await held`select pg_current_xact_id()`;
  }
  let endB: unknown;
  try {
    await e2e.client.startSpan({ traceId, spanId: b, parentSpanId: a, name: "B", serviceName: "worker" });
    await sleep(3500); // B is still running, well past the idle timeout
    endB = await e2e.client.endSpan({ traceId, spanId: b, status: { code: StatusCode.OK } }).then(
      (r) => ({ ok: true, traceVersion: r.traceVersion }),
      (e) => connectError(e),
    );
  } finally {
    if (held) {
      await held`commit`;
      held.release();
    }
  }
  const trace = (await e2e.client.getTrace({ traceId })).trace;
  const spanB = trace?.spans.find((s) => hex(s.spanId) === hex(b));
  return { traceId, endB, bEndReason: spanB?.endReason };
}

describe("a trace begun elsewhere, with a span running in it", () => {
  it("without an open transaction elsewhere, B runs and ends normally, and the idle trace is closed after", async () => {
    const r = await scenario(false);
    console.log("control:", J(r));
    expect(r.endB).toMatchObject({ ok: true });
    expect(r.bEndReason).toBe(SpanEndReason.COMPLETED);
    const events = await until(8000, "the trace closed", async () => {
      const list = (await e2e.client.getTraceEvents({ traceId: r.traceId })).events.map((e) => e.event?.event.case);
      return list.includes("traceCompleted") ? list : undefined;
    });
    expect(events.filter((c) => c === "spanOrphaned")).toEqual([]);
  });

  it("with a transaction open elsewhere (a backup, an idle session), B is not closed as an orphan while it runs", async () => {
    const r = await scenario(true);
    console.log("held:", J(r));
    expect(r.endB).toMatchObject({ ok: true });
    expect(r.bEndReason).toBe(SpanEndReason.COMPLETED);
  });
});
