// Slow-span alerts judge a span by what the saga could know: a start reported
// after the fact is not slow because of the time before the saga learnt of it,
// and a transaction held open elsewhere on the cluster (which holds the saga's
// reads back) does not let the saga's clock run past what it has read.
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AlertState, MonitoringService, StatusCode } from "@traceledger/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { hex, newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { until } from "./support/wait.js";

/** The service of the held-horizon case: a threshold of 2 s, so that its hold begins well before it even on a loaded machine. */
const HELD_SERVICE = "held-horizon";

const e2e = serverPerFile({
  MONITORING_SLOW_SPAN_MS: "300",
  MONITORING_SLOW_SPAN_OVERRIDES: `${HELD_SERVICE}=2000`,
  MONITORING_SLOW_TRACE_MS: "600000",
  MONITORING_TICK_MS: "50",
});
let mon: Client<typeof MonitoringService>;
beforeAll(() => {
  mon = createClient(MonitoringService, createGrpcTransport({ baseUrl: `http://${e2e.server.grpcAddress}` }));
});
const J = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x instanceof Uint8Array ? hex(x) : x));
const svc = (p: string) => `${p}-${hex(newSpanId()).slice(0, 6)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("slow-span alerts for a start reported after the fact", () => {
  it("a span that ran 100 ms (threshold 300 ms), whose start and end arrive 200 ms apart, raises no slow-span alert", async () => {
    // A buffering client sends the start with its real (past) time in one call and the end in the next.
    const service = svc("late");
    const traceId = newTraceId();
    const spanId = newSpanId();
    const start = nowNanos() - 2_000_000_000n;
    await e2e.client.startTrace({ traceId, spanId, name: "batched", serviceName: service, startTimeUnixNano: start });
    await sleep(200);
    await e2e.client.endSpan({ traceId, spanId, endTimeUnixNano: start + 100_000_000n, status: { code: StatusCode.OK } });
    await sleep(1000);
    const alerts = await mon.listAlerts({ serviceName: service });
    console.log("late alerts:", J(alerts.alerts.map((a) => ({ kind: a.kind, state: a.state, message: a.raised?.message, resolvedValue: a.resolved?.value }))));
    expect(alerts.alerts).toEqual([]);
  });

  it("a span reported late that keeps running is still alerted while it runs, once", async () => {
    const service = svc("late-slow");
    const traceId = newTraceId();
    const spanId = newSpanId();
    const start = nowNanos() - 2_000_000_000n;
    await e2e.client.startTrace({ traceId, spanId, name: "batched", serviceName: service, startTimeUnixNano: start });
    const open = await until(5000, "slow alert", async () => {
      const r = await mon.listAlerts({ state: AlertState.OPEN, serviceName: service });
      return r.alerts.length > 0 ? r : undefined;
    });
    expect(open.alerts).toHaveLength(1);
    const end = nowNanos();
    await e2e.client.endSpan({ traceId, spanId, endTimeUnixNano: end, status: { code: StatusCode.OK } });
    const resolved = await until(5000, "resolved", async () => {
      const r = await mon.listAlerts({ state: AlertState.RESOLVED, serviceName: service });
      return r.alerts.length > 0 ? r : undefined;
    });
    expect(resolved.alerts).toHaveLength(1);
    expect(BigInt(resolved.alerts[0]!.resolved!.value)).toBe(end - start);
  });
});

describe("slow-span alerts while the log's read horizon is held back", () => {
  it("a 100 ms span (threshold 2 s) that already ended is not alerted as slow", async () => {
    // Any open transaction on the cluster (a backup, an idle-in-transaction session) holds
    // the saga's reads back; it must delay alerts, not invent them. The hold must begin
    // before the threshold passes (else the span was, as far as the log says, running past
    // it): 300 ms was too short when the whole suite loaded the machine.
    const service = HELD_SERVICE;
    const traceId = newTraceId();
    const spanId = newSpanId();
    const start = nowNanos();
    await e2e.client.startTrace({ traceId, spanId, name: "quick", serviceName: service, startTimeUnixNano: start });
    await until(2000, "the span active", async () => ((await mon.listActiveSpans({ serviceName: service })).spans.length === 1 ? true : undefined));
    const held = await e2e.db.client(1).reserve();
    await held`begin`;
    await held`select pg_current_xact_id()`;
    try {
      await until(2000, "clock", () => (nowNanos() > start + 100_000_000n ? true : undefined));
      await e2e.client.endSpan({ traceId, spanId, endTimeUnixNano: start + 100_000_000n, status: { code: StatusCode.OK } });
      // Past the threshold by the clock: a saga judging by the clock, not the log, would alert now.
      await until(5000, "the threshold passed", () => (nowNanos() > start + 2_500_000_000n ? true : undefined));
      const during = await mon.listAlerts({ serviceName: service });
      console.log("alerts while held:", J(during.alerts.map((a) => ({ kind: a.kind, state: a.state, message: a.raised?.message }))));
      expect(during.alerts).toEqual([]);
      const active = await mon.listActiveSpans({ serviceName: service });
      expect(active.spans.map((s) => s.slow)).toEqual([false]);
    } finally {
      await held`commit`;
      held.release();
    }
    await until(5000, "the span's end read", async () => ((await mon.listActiveSpans({ serviceName: service })).spans.length === 0 ? true : undefined));
    await sleep(300);
    const final = await mon.listAlerts({ serviceName: service });
    console.log("alerts after:", J(final.alerts.map((a) => ({ kind: a.kind, state: a.state, resolvedValue: a.resolved?.value }))));
    expect(final.alerts).toEqual([]);
  });
});
