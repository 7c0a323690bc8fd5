import { describe, expect, it } from "vitest";
import { monitoringConfig } from "./monitoring-config.js";
import type { MonitoringInput } from "./monitoring-input.js";
import { callEnded, callStarted, s, spanIdOf, T0, tick, traceIdOf } from "./testing/monitoring-fixtures.js";
import { given, run } from "./testing/monitoring-specification.js";

const ms = (n: number) => BigInt(Math.round(n * 1e6));
const config = monitoringConfig({ anomaly: { minSamples: 30, k: 4, clearAfter: 3, minStddevNs: ms(1) } });

/** Call n at second n, lasting `durationNs`. */
function call(n: number, durationNs: bigint): MonitoringInput[] {
  const start = T0 + s(n);
  return [...callStarted(n, { start }), ...callEnded(n, { start, end: start + durationNs })];
}

/** Calls 1..count taking 20 ms give or take 2 ms: mean 20 ms, deviation 2 ms. */
function baseline(count: number): MonitoringInput[] {
  const out: MonitoringInput[] = [];
  for (let n = 1; n <= count; n++) out.push(...call(n, ms(n % 2 === 0 ? 22 : 18)));
  return out;
}

/** The end of call n, after its start is in the history. */
function ending(n: number, durationNs: bigint) {
  return { history: callStarted(n, { start: T0 + s(n) }), end: callEnded(n, { start: T0 + s(n), end: T0 + s(n) + durationNs })[0]! };
}

describe("latency anomaly against the operation's baseline", () => {
  it("no verdict before the baseline has minSamples", () => {
    const { history, end } = ending(30, s(2));
    given([...baseline(29), ...history], config).when(end).thenNothing();
  });

  it("a span above mean + k deviations opens an episode, named after it", () => {
    const { history, end } = ending(31, ms(40));
    const [raised] = given([...baseline(30), ...history], config)
      .when(end)
      .then([
        {
          type: "AlertRaised",
          alertId: `latency_anomaly:payments:charge%20card:${traceIdOf(31)}:${spanIdOf(31)}`,
          kind: "latency_anomaly",
          subject: { type: "operation", service: "payments", operation: "charge card" },
          at: T0 + s(31) + ms(40),
          value: 40e6,
          unit: "ns",
          samples: 30,
          exemplar: { traceId: traceIdOf(31), spanId: spanIdOf(31) },
        },
      ]);
    expect(raised).toMatchObject({ threshold: 28e6, message: 'span "charge card" of payments took 40 ms, usually 20 ms (band up to 28 ms)' });
  });

  it("a span inside the band decides nothing", () => {
    const { history, end } = ending(31, ms(27));
    given([...baseline(30), ...history], config).when(end).thenNothing();
  });

  it("more anomalous spans belong to the open episode", () => {
    const { history, end } = ending(32, ms(45));
    given([...baseline(30), ...call(31, ms(40)), ...history], config).when(end).thenNothing();
  });

  it("clearAfter spans in a row inside the band resolve it", () => {
    const open = [...baseline(30), ...call(31, ms(40)), ...call(32, ms(20))];
    const { history, end } = ending(33, ms(21));
    given([...open, ...history], config).when(end).thenNothing();
    const third = ending(34, ms(19));
    given([...open, ...call(33, ms(21)), ...third.history], config)
      .when(third.end)
      .then([{ type: "AlertResolved", kind: "latency_anomaly", at: T0 + s(34) + ms(19), reason: "back_to_baseline", value: 19e6 }]);
  });

  it("an anomalous span in between starts the count again", () => {
    const { history, end } = ending(35, ms(20));
    given([...baseline(30), ...call(31, ms(40)), ...call(32, ms(20)), ...call(33, ms(20)), ...call(34, ms(60)), ...history], config).when(end).thenNothing();
  });

  it("deviations below minStddevNs are not anomalies: sub-millisecond jitter is no incident", () => {
    const steady: MonitoringInput[] = [];
    for (let n = 1; n <= 30; n++) steady.push(...call(n, 100_000n));
    const { history, end } = ending(31, ms(3));
    given([...steady, ...history], config).when(end).thenNothing();
  });

  it("an operation that goes quiet ends its episode when its statistics are forgotten, and then they are", () => {
    const open = [...baseline(30), ...call(31, ms(40))];
    const lastActivity = T0 + s(31) + ms(40);
    const retention = config.statsRetentionNs;
    given(open, config).when(tick(lastActivity + retention)).thenNothing();
    const after = given(open, config)
      .when(tick(lastActivity + retention + s(1)))
      .then([{ type: "AlertResolved", kind: "latency_anomaly", at: lastActivity + retention, reason: "idle" }]);
    expect(after).toHaveLength(1);
    const { state } = run([...open, tick(lastActivity + retention + s(1)), tick(lastActivity + retention + s(2))], config);
    expect(state.operations.size).toBe(0);
    expect(state.services.size).toBe(0);
    expect(state.openAlerts.size).toBe(0);
  });

  it("with no tick in the quiet spell (a replay's ticks follow the log), the next start of a span of the operation ends the episode as the tick would have", () => {
    const open = [...baseline(30), ...call(31, ms(40))];
    const lastActivity = T0 + s(31) + ms(40);
    const later = lastActivity + config.statsRetentionNs + s(5);
    const byTick = given(open, config).when(tick(later)).then([{ type: "AlertResolved", kind: "latency_anomaly", at: lastActivity + config.statsRetentionNs, reason: "idle" }]);
    const [began, start] = callStarted(99, { start: later });
    const bySpan = given([...open, began!], config).when(start!).then([{ type: "AlertResolved", kind: "latency_anomaly", reason: "idle" }]);
    expect(bySpan).toEqual(byTick);
    // The operation starts anew, as after a tick forgot it: a fresh baseline judges nothing.
    const then = given([...open, began!, start!], config).when(callEnded(99, { start: later, end: later + ms(500) })[0]!);
    then.thenNothing();
    expect([...then.state.operations.values()].map((op) => op.baseline.samples)).toEqual([1]);
  });

  it("a span that began before the quiet spell and ends after it ends the episode, and its operation starts anew", () => {
    const quiet = monitoringConfig({ anomaly: { minSamples: 30, k: 4, clearAfter: 3, minStddevNs: ms(1) }, slowSpan: { defaultNs: 2n * config.statsRetentionNs } });
    const start = T0 + s(32);
    const end = start + quiet.statsRetentionNs + s(5);
    const then = given([...baseline(30), ...call(31, ms(40)), ...callStarted(99, { start })], quiet).when(callEnded(99, { start, end })[0]!);
    then.then([{ type: "AlertResolved", kind: "latency_anomaly", at: start + quiet.statsRetentionNs, reason: "idle" }]);
    expect([...then.state.operations.values()].map((op) => [op.baseline.samples, op.anomalyAlertId])).toEqual([[1, undefined]]);
  });
});
