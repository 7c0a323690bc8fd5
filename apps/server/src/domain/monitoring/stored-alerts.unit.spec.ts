// Given the log replayed up to a checkpoint and the monitoring stream folded
// over it, when the next events are read, then: what the new leader decides.
// The stream may hold error-rate and anomaly events decided after the
// checkpoint (the old leader stored them and died before moving it).

import { describe, expect, it } from "vitest";
import { monitoringConfig } from "./monitoring-config.js";
import type { MonitoringEvent } from "./monitoring-events.js";
import type { MonitoringInput } from "./monitoring-input.js";
import { ROOT } from "../testing/trace-fixtures.js";
import { handleMonitoringInput } from "./distributed-tracing-saga.js";
import { foldStoredAlert, forgetAlertsNotStored } from "./stored-alerts.js";
import { callEnded, calls, callStarted, ended, errored, s, started, T0, tick, traceBegan, TRACE } from "./testing/monitoring-fixtures.js";
import { givenRebuilt, run } from "./testing/monitoring-specification.js";

const BUCKET = T0 + s(0.01);
const ms = 1_000_000n;

const alertsOf = (inputs: readonly MonitoringInput[], config = monitoringConfig()) =>
  run(inputs, config).outputs.filter((o): o is MonitoringEvent => o.type === "AlertRaised" || o.type === "AlertResolved");
/** Call n, started after the history's calls, still running; and its end, 1 ms later. */
const running = (n: number) => callStarted(n, { start: BUCKET + s(1) });
const ends = (n: number, error = false) => callEnded(n, { start: BUCKET + s(1), end: BUCKET + s(1) + ms, error })[0]!;

describe("an error-rate raise stored after the checkpoint", () => {
  // Calls 1-15 succeed, 16-20 fail: call 20 raises (5 of 20). The checkpoint is after call 10.
  const log = calls(20, { from: BUCKET, errors: 5 });
  const stored = alertsOf(log);
  const beforeCheckpoint = calls(10, { from: BUCKET });

  it("is not resolved by the spans between the checkpoint and the raise (too few to judge, the rate still climbing)", () => {
    expect(stored.map((e) => `${e.type} ${e.subject.type}`)).toEqual(["AlertRaised service", "AlertRaised operation"]);
    const then = givenRebuilt([...beforeCheckpoint, ...running(11)], stored).when(ends(11));
    then.thenNothing();
    expect([...then.state.openAlerts.keys()]).toEqual([]);
  });

  it("is decided again at its span, the same event (a duplicate the store keeps once), and is open from there", () => {
    const between = calls(9, { from: BUCKET + s(0.5), first: 11, errors: 4 });
    const then = givenRebuilt([...beforeCheckpoint, ...between, ...running(20)], stored).when(ends(20, true));
    expect(then.then([{ type: "AlertRaised" }, { type: "AlertRaised" }]).map((e) => e.type === "AlertRaised" && e.alertId)).toEqual(stored.map((e) => e.alertId));
    expect(then.state.openAlerts.size).toBe(2);
    expect(then.state.heldAlerts.size).toBe(0);
  });
});

describe("an error-rate resolution stored after the checkpoint", () => {
  // Raised by call 20 (5 of 20); call 31 fails too, while the rate is still high; 40 more
  // successes bring it to 10%. The checkpoint is after call 30.
  const raised = calls(20, { from: BUCKET, errors: 5 });
  const before31 = [...raised, ...calls(10, { from: BUCKET + s(0.5), first: 21 })];
  const log = [...before31, ...running(31), ends(31, true), ...calls(40, { from: BUCKET + s(2), first: 32 })];
  const stored = alertsOf(log);

  it("keeps the alert open for the spans before it: an error there is part of the same episode, not a second one", () => {
    expect(stored.map((e) => `${e.type} ${e.subject.type}`)).toEqual(["AlertRaised service", "AlertRaised operation", "AlertResolved service", "AlertResolved operation"]);
    givenRebuilt([...before31, ...running(31)], stored).when(ends(31, true)).thenNothing();
  });
});

describe("what the log never decides again (another config before the change of leader)", () => {
  // At 5%, 2 failures in 20 raise; at the default 10% they do not.
  const log = calls(20, { from: BUCKET, errors: 2 });
  const stored = alertsOf(log, monitoringConfig({ errorRate: { threshold: 0.05 } }));

  it("is taken as stored once the log has been read to its end, and judged from there", () => {
    expect(stored.map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised"]);
    // Read to the end: the raises are open (nothing else would ever resolve them) ...
    const caughtUp = givenRebuilt([...log, ...running(21)], stored, { caughtUp: true }).when(ends(21));
    // ... and a success takes the rate to 2 in 21, at or below 10%.
    caughtUp.then([
      { type: "AlertResolved", alertId: stored[0]!.alertId, reason: "below_threshold" },
      { type: "AlertResolved", alertId: stored[1]!.alertId, reason: "below_threshold" },
    ]);
    // Before that, it is held: not open, not judged.
    givenRebuilt([...log, ...running(21)], stored).when(ends(21)).thenNothing();
  });
});

describe("an alert a rebuilt state holds open whose raise the stream does not have", () => {
  const slowId = `slow_span:${TRACE}:${ROOT}`;
  const critical = monitoringConfig({ criticalErrorTypes: ["OutOfMemoryError"] });

  it("is let go; a span still slow is raised again at the next tick, with the same id, and its end resolves it", () => {
    // The replay's tick raised it; the leader that would have stored it died first.
    const { state } = run([traceBegan(), started(ROOT), tick(T0 + s(6))]);
    expect([...state.openAlerts.keys()]).toEqual([slowId]);
    forgetAlertsNotStored(state, [slowId]);
    expect(state.openAlerts.size).toBe(0);
    const raised = handleMonitoringInput(state, tick(T0 + s(7)));
    expect(raised.map((o) => o.type === "AlertRaised" && o.alertId)).toEqual([slowId]);
    const resolved = handleMonitoringInput(state, ended(ROOT, { end: T0 + s(8) }));
    expect(resolved.map((o) => `${o.type} ${"alertId" in o ? o.alertId : ""}`)).toEqual([`AlertResolved ${slowId}`]);
  });

  it("is let go whole for an alert raised by an event: the span's end resolves nothing the stream does not have", () => {
    const { state } = run([traceBegan(), started(ROOT), errored(ROOT, { time: T0 + s(1), errorType: "OutOfMemoryError", errorId: "oom-1" })], critical);
    const [id] = [...state.openAlerts.keys()];
    expect(id).toBe(`critical_error:${TRACE}:${ROOT}:oom-1`);
    forgetAlertsNotStored(state, [id!]);
    expect(handleMonitoringInput(state, ended(ROOT, { end: T0 + s(2) })).filter((o) => o.type === "AlertResolved")).toEqual([]);
  });

  it("leaves a held raise out, and an alert it is not asked about open", () => {
    const log = calls(20, { from: BUCKET, errors: 5 });
    const stored = alertsOf(log);
    const { state } = run(calls(10, { from: BUCKET }));
    for (const event of stored) foldStoredAlert(state, event);
    expect(state.heldAlerts.size).toBe(2);
    forgetAlertsNotStored(state, [stored[0]!.alertId]);
    expect([...state.heldAlerts.keys()]).toEqual([stored[1]!.alertId]);
  });
});

describe("an error-rate alert a replay decided under other settings, let go as not stored", () => {
  // 30 calls, the last 12 failing. At 10% (20 samples at least) the new leader raises at call
  // 20 (2 in 20); the old leader's 25% raised at call 24 (6 in 24).
  const log = calls(30, { from: BUCKET, errors: 12 });
  const storedByOld = alertsOf(log, monitoringConfig({ errorRate: { threshold: 0.25 } }));
  const decidedByNew = alertsOf(log);

  it("leaves the stream's own episode on the subject open, so further errors do not open a second one", () => {
    expect(storedByOld.map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised"]);
    expect(decidedByNew.map((e) => e.alertId)).not.toEqual(storedByOld.map((e) => e.alertId));
    const { state } = run(log);
    for (const event of storedByOld) foldStoredAlert(state, event);
    expect(state.heldAlerts.size).toBe(2);
    forgetAlertsNotStored(state, decidedByNew.map((e) => e.alertId));
    expect([...state.openAlerts.keys()].sort()).toEqual(storedByOld.map((e) => e.alertId).sort());
    expect(state.heldAlerts.size).toBe(0);
    const more = [...running(31), ends(31, true)].flatMap((input) => handleMonitoringInput(state, input));
    expect(more.filter((o) => o.type === "AlertRaised")).toEqual([]);
  });
});

describe("a statistic alert adopted from the stream with no statistics behind it", () => {
  // Raised by a leader under other settings; the new leader's log has none of its spans
  // (retention deleted them), so it holds the raise, and adopts it once caught up.
  const stored = alertsOf(calls(20, { from: BUCKET, errors: 5 }));
  const config = monitoringConfig();
  const boundary = (raisedAt: bigint) => (raisedAt / config.errorRate.bucketNs + BigInt(config.errorRate.windowNs / config.errorRate.bucketNs)) * config.errorRate.bucketNs;

  it("resolves an error-rate alert once the window no longer holds its raise, at that boundary, whenever the tick comes", () => {
    const raised = stored.filter((e) => e.type === "AlertRaised");
    expect(raised).toHaveLength(2);
    const at = boundary(raised[0]!.at);
    const expected = raised.map((e) => ({ type: "AlertResolved" as const, alertId: e.alertId, reason: "insufficient_samples" as const, at, value: 0 }));
    // Not before: the raise may still be in the window.
    givenRebuilt([tick(BUCKET)], stored, { caughtUp: true }).when(tick(at - 1n)).thenNothing();
    givenRebuilt([tick(BUCKET)], stored, { caughtUp: true }).when(tick(at)).then(expected);
    givenRebuilt([tick(BUCKET)], stored, { caughtUp: true }).when(tick(at + s(3600))).then(expected);
  });

  it("resolves an anomaly alert as idle when its operation would have been forgotten, whenever the tick comes", () => {
    const raised = stored[0] as Extract<MonitoringEvent, { kind: "error_rate" }>;
    const anomaly: MonitoringEvent = {
      type: "AlertRaised",
      alertId: "latency_anomaly:checkout:GET%20%2F:t:s",
      kind: "latency_anomaly",
      subject: { type: "operation", service: "checkout", operation: "GET /" },
      at: raised.at,
      value: 2,
      threshold: 1,
      unit: "ns",
      samples: 30,
      exemplar: raised.exemplar,
      message: "slow",
    };
    const at = anomaly.at + config.statsRetentionNs;
    const expected = [{ type: "AlertResolved" as const, alertId: anomaly.alertId, reason: "idle" as const, at }];
    givenRebuilt([tick(BUCKET)], [anomaly], { caughtUp: true }).when(tick(at - 1n)).thenNothing();
    givenRebuilt([tick(BUCKET)], [anomaly], { caughtUp: true }).when(tick(at + 1n)).then(expected);
    givenRebuilt([tick(BUCKET)], [anomaly], { caughtUp: true }).when(tick(at + s(3600))).then(expected);
  });
});
