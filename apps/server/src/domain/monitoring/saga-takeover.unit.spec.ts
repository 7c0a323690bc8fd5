// A change of leader, given the trace events of the log, the alert events the
// old leader stored and where its checkpoint was: the new leader must decide
// what one leader running throughout would have decided, for the statistic
// alerts (error rate, latency anomaly) too, whose windows and baselines it
// rebuilds from the log. In particular it must not resolve a stored alert
// while the condition still holds, nor raise the same episode again.

import { describe, expect, it } from "vitest";
import { NOW } from "../testing/trace-specification.js";
import { monitoringConfig, type MonitoringConfig } from "./monitoring-config.js";
import type { MonitoringEvent } from "./monitoring-events.js";
import type { MonitoringInput } from "./monitoring-input.js";
import { callEnded, callStarted, ended, spanIdOf, started, tick, traceBegan, traceIdOf } from "./testing/monitoring-fixtures.js";
import { alertsOf, lead, SECOND, takeOver, type Decided } from "./testing/monitoring-takeover.js";

const MS = 1_000_000n;
/** A bucket boundary (NOW is a whole multiple of 10 s). */
const START = NOW;
const at = (second: number): bigint => START + BigInt(Math.round(second * 1000)) * MS;

interface Call {
  readonly error?: boolean;
  readonly durationNs?: bigint;
  /** A child span of the long-running BATCH trace, not a trace of its own. */
  readonly inBatch?: boolean;
}

/** A trace whose root ("nightly run" of jobs) starts at START and runs on. */
const BATCH = traceIdOf(0xba7c4);
const BATCH_ROOT = spanIdOf(0xba7c4);

interface Traffic {
  readonly inputs: MonitoringInput[];
  /** The index of the tick at the start of `second`: the log was read up to there. */
  second(second: number): number;
  /** The index just after call `call` of `second` has ended (and its trace completed). */
  afterCall(second: number, call: number): number;
}

/**
 * Ten calls of "charge card" (payments) a second, 100 ms apart, each its own
 * trace; `call` says how each goes, or that there is none. A leader's tick at
 * every whole second.
 */
function traffic(seconds: number, call: (second: number, i: number) => Call | undefined, options: { batch?: boolean } = {}): Traffic {
  const inputs: MonitoringInput[] = [];
  if (options.batch) inputs.push(traceBegan({ traceId: BATCH, start: START, service: "jobs" }), started(BATCH_ROOT, { traceId: BATCH, start: START, service: "jobs", name: "nightly run" }));
  const ticks = new Map<number, number>();
  const ends = new Map<string, number>();
  for (let k = 0; k < seconds; k++) {
    ticks.set(k, inputs.length);
    inputs.push(tick(at(k)));
    for (let i = 0; i < 10; i++) {
      const n = k * 10 + i + 1;
      const c = call(k, i);
      if (c === undefined) continue;
      const start = at(k) + BigInt(i) * 100n * MS;
      const end = start + (c.durationNs ?? MS);
      const error = c.error ?? false;
      if (c.inBatch) {
        const child = { traceId: BATCH, service: "payments", name: "charge card", parent: BATCH_ROOT };
        inputs.push(started(spanIdOf(n), { ...child, start }), ended(spanIdOf(n), { traceId: BATCH, end, error }));
      } else {
        inputs.push(...callStarted(n, { start }), ...callEnded(n, { start, end, error }));
      }
      ends.set(`${k}/${i}`, inputs.length);
    }
  }
  ticks.set(seconds, inputs.length);
  inputs.push(tick(at(seconds)));
  return {
    inputs,
    second: (k) => ticks.get(k)!,
    afterCall: (k, i) => ends.get(`${k}/${i}`)!,
  };
}

const key = (e: MonitoringEvent) => `${e.type} ${e.alertId}`;
const byKey = (a: MonitoringEvent, b: MonitoringEvent) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const since = (t: bigint) => `${Number(t - START) / 1e9} s`;
const summary = (events: readonly MonitoringEvent[]) =>
  events.map((e) => (e.type === "AlertRaised" ? `raised ${e.kind} ${e.subject.type} at ${since(e.at)}` : `resolved ${e.kind} ${e.subject.type} at ${since(e.at)} (${e.reason})`));

/**
 * What the new leader decided from the checkpoint on, against what one leader
 * running throughout decided from there: the same alert events (order aside:
 * a tick of one and a span of the other can find the same resolution).
 */
function expectSameAsOneLeader(config: MonitoringConfig, t: Traffic, checkpoint: number, newLeader: readonly Decided[]): void {
  const one = lead(config, t.inputs).decided.filter((d) => d.at >= checkpoint);
  expect(alertsOf(newLeader).sort(byKey)).toEqual(alertsOf(one).sort(byKey));
}

/** The first leader ran until `stop` and stored all it decided; its checkpoint is where it was last moved. */
function storedBy(config: MonitoringConfig, t: Traffic, stop: number): MonitoringEvent[] {
  return alertsOf(lead(config, t.inputs.slice(0, stop)).decided);
}

describe("a new leader and the error-rate alerts the old one stored", () => {
  // 30% of calls fail for a minute, then 5% (the first call of every odd second). The rate over the
  // 60 s window goes above 10% at second 2 and falls back to 10% at second 100.
  const config = monitoringConfig({ errorRate: { threshold: 0.1, windowNs: 60n * SECOND, bucketNs: 10n * SECOND, minSamples: 20 } });
  const t = traffic(130, (k, i) => ({ error: k < 60 ? i < 3 : k % 2 === 1 && i === 0 }));
  const rateResolutions = (decided: readonly Decided[]) => alertsOf(decided).filter((e) => e.type === "AlertResolved" && e.kind === "error_rate");

  it("one leader throughout: raised at second 2 by the service and the operation, resolved at second 100", () => {
    expect(summary(alertsOf(lead(config, t.inputs).decided))).toEqual([
      "raised error_rate service at 2.001 s",
      "raised error_rate operation at 2.001 s",
      "resolved error_rate service at 100 s (below_threshold)",
      "resolved error_rate operation at 100 s (below_threshold)",
    ]);
  });

  it("the old leader stops at second 30 with its checkpoint moved: the new one resolves only once the rate has fallen, as one leader would", () => {
    const stop = t.second(30);
    const stored = storedBy(config, t, stop);
    expect(summary(stored)).toEqual(["raised error_rate service at 2.001 s", "raised error_rate operation at 2.001 s"]);
    const b = takeOver(config, t.inputs, { checkpoint: stop, stored, takenOverAt: stop });
    // Nothing while 30%, then 5% keeps the windowed rate above 10%...
    expect(rateResolutions(b.decided.filter((d) => d.at < t.second(100)))).toEqual([]);
    // ... and both resolve once it has fallen; nothing is raised again.
    expect(summary(alertsOf(b.decided))).toEqual(["resolved error_rate service at 100 s (below_threshold)", "resolved error_rate operation at 100 s (below_threshold)"]);
    expectSameAsOneLeader(config, t, stop, b.decided);
  });

  it("the old leader dies at second 30 and the lease changes hands 15 s later: the new one catches up and does the same", () => {
    const stop = t.second(30);
    const b = takeOver(config, t.inputs, { checkpoint: stop, stored: storedBy(config, t, stop), takenOverAt: t.second(45) });
    expect(summary(alertsOf(b.decided))).toEqual(["resolved error_rate service at 100 s (below_threshold)", "resolved error_rate operation at 100 s (below_threshold)"]);
    expectSameAsOneLeader(config, t, stop, b.decided);
  });

  it("a raise stored after the checkpoint (died between storing it and moving the checkpoint) is not resolved before the spans that raised it", () => {
    // The checkpoint is at second 1 (19 spans ended, too few to judge); the raise at second 2 is stored, the checkpoint not moved.
    const checkpoint = t.second(1);
    const stored = storedBy(config, t, t.second(3));
    expect(summary(stored)).toEqual(["raised error_rate service at 2.001 s", "raised error_rate operation at 2.001 s"]);
    const b = takeOver(config, t.inputs, { checkpoint, stored, takenOverAt: t.second(5) });
    expect(rateResolutions(b.decided.filter((d) => d.at < t.second(100)))).toEqual([]);
    expectSameAsOneLeader(config, t, checkpoint, b.decided);
  });

  it("a resolution stored after the checkpoint does not let the errors before it open a second episode", () => {
    // The checkpoint is at second 95 (the rate still above 10%); the resolution at second 100 is stored, the checkpoint not moved.
    const checkpoint = t.second(95);
    const stored = storedBy(config, t, t.second(101));
    expect(stored.map((e) => e.type)).toEqual(["AlertRaised", "AlertRaised", "AlertResolved", "AlertResolved"]);
    const b = takeOver(config, t.inputs, { checkpoint, stored, takenOverAt: t.second(105) });
    expect(alertsOf(b.decided).filter((e) => e.type === "AlertRaised")).toEqual([]);
    expectSameAsOneLeader(config, t, checkpoint, b.decided);
  });
});

describe("a new leader and the latency anomalies the old one stored", () => {
  const config = monitoringConfig({ anomaly: { k: 4, minSamples: 30, alpha: 0.01, clearAfter: 3, minStddevNs: MS } });
  // 18 or 22 ms for 15 s (150 calls); 60 ms for second 15: the first six of those are
  // anomalous (the baseline widens as they come), then three in the band resolve it.
  const t = traffic(20, (k, i) => ({ durationNs: k === 15 ? 60n * MS : i % 2 === 0 ? 18n * MS : 22n * MS }));
  const ONE_EPISODE = ["raised latency_anomaly operation at 15.06 s", "resolved latency_anomaly operation at 15.86 s (back_to_baseline)"];

  it("one leader throughout: one episode, raised by the first slow call and resolved by the ninth", () => {
    expect(summary(alertsOf(lead(config, t.inputs).decided))).toEqual(ONE_EPISODE);
  });

  it("the old leader stops during the episode with its checkpoint moved: the new one resolves it where one leader would", () => {
    const stop = t.afterCall(15, 2);
    const b = takeOver(config, t.inputs, { checkpoint: stop, stored: storedBy(config, t, stop), takenOverAt: stop });
    expect(summary(alertsOf(b.decided))).toEqual(ONE_EPISODE.slice(1));
    expectSameAsOneLeader(config, t, stop, b.decided);
  });

  it("a raise stored after the checkpoint is not resolved by the calls in the band before it", () => {
    const checkpoint = t.second(14);
    const stored = storedBy(config, t, t.afterCall(15, 2));
    expect(summary(stored)).toEqual(ONE_EPISODE.slice(0, 1));
    const b = takeOver(config, t.inputs, { checkpoint, stored, takenOverAt: t.second(17) });
    expectSameAsOneLeader(config, t, checkpoint, b.decided);
  });

  it("a resolution stored after the checkpoint does not let the anomalous calls before it open a second episode", () => {
    const checkpoint = t.afterCall(15, 2);
    const stored = storedBy(config, t, t.second(16));
    expect(summary(stored)).toEqual(ONE_EPISODE);
    const b = takeOver(config, t.inputs, { checkpoint, stored, takenOverAt: t.second(17) });
    expectSameAsOneLeader(config, t, checkpoint, b.decided);
  });

  it("after a quiet spell longer than the retention, the new leader judges by the baseline the old one rebuilt, not the one it forgot", () => {
    // 90 ms calls for 15 s, then five minutes with nothing new (the leader forgets the operation's
    // statistics after two), then 18 or 22 ms for 15 s and a 60 ms second: an episode against
    // the new baseline. The calls are child spans of one long-running trace, so no TraceStarted
    // comes first after the quiet spell.
    const quiet = monitoringConfig({
      anomaly: { k: 4, minSamples: 30, alpha: 0.01, clearAfter: 3, minStddevNs: MS },
      statsRetentionNs: 120n * SECOND,
      orphanTimeoutNs: 3600n * SECOND,
    });
    const q = traffic(
      340,
      (k, i) => (k < 15 ? { durationNs: 90n * MS, inBatch: true } : k < 315 ? undefined : { durationNs: k === 330 ? 60n * MS : i % 2 === 0 ? 18n * MS : 22n * MS, inBatch: true }),
      { batch: true },
    );
    const anomalies = (decided: readonly Decided[]) => summary(alertsOf(decided).filter((e) => e.kind === "latency_anomaly"));
    expect(anomalies(lead(quiet, q.inputs).decided)).toEqual(["raised latency_anomaly operation at 330.06 s", "resolved latency_anomaly operation at 330.86 s (back_to_baseline)"]);
    const stop = q.afterCall(330, 2);
    const b = takeOver(quiet, q.inputs, { checkpoint: stop, stored: storedBy(quiet, q, stop), takenOverAt: stop });
    expect(anomalies(b.decided)).toEqual(["resolved latency_anomaly operation at 330.86 s (back_to_baseline)"]);
    expectSameAsOneLeader(quiet, q, stop, b.decided);
  });
});
