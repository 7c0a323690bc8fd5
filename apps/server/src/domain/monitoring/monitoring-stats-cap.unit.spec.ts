import { beforeAll, describe, expect, it } from "vitest";
import { NOW } from "../testing/trace-specification.js";
import { handleMonitoringInput } from "./distributed-tracing-saga.js";
import { monitoringConfig } from "./monitoring-config.js";
import type { AlertRaised, MonitoringEvent } from "./monitoring-events.js";
import type { MonitoringInput } from "./monitoring-input.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import { initialMonitoringState, isIdle, operationKey, type MonitoringState } from "./monitoring-state.js";
import { callEnded, callStarted, completed, ended, s, spanIdOf, started, T0, tick, traceBegan, traceIdOf } from "./testing/monitoring-fixtures.js";
import { SIMULATION_SETTINGS, simulate, withTicksEvery } from "./testing/monitoring-simulation.js";
import { given, run } from "./testing/monitoring-specification.js";
import { alertsOf, lead, rebuiltState, takeOver } from "./testing/monitoring-takeover.js";
import { seededRandom } from "../testing/seeded-random.js";

// Names come from clients: an id in a span name (`GET /orders/1234`) makes an operation per call,
// each with an error-rate window and a latency baseline kept for the retention period (an hour).
// Past maxOperations the least recently active statistics without an open alert go.

// Ten-second buckets: BUCKET begins one, so the calls of a spec below share it unless said otherwise.
const BUCKET = T0 + s(0.01);
const ms = 1_000_000n;
const CAP = 3;
const config = monitoringConfig({ maxOperations: CAP, errorRate: { minSamples: 5 } });

/** Call n: span `name` of `service`, starting at `at` and ending 1 ms later. */
function call(n: number, name: string, at: bigint, fields: { service?: string; error?: boolean } = {}): MonitoringInput[] {
  const service = fields.service ?? "payments";
  return [...callStarted(n, { start: at, name, service }), ...callEnded(n, { start: at, end: at + ms, error: fields.error ?? false })];
}

const operations = (state: ReturnType<typeof run>["state"]) => [...state.operations.values()].map((op) => op.operation);
const services = (state: ReturnType<typeof run>["state"]) => [...state.services.keys()];

describe("statistics capped at maxOperations: names with ids in them cannot grow the state without bound", () => {
  it("ten distinct names, each of its own service, past a cap of three: each map keeps the three most recent, and counts what went", () => {
    const history = Array.from({ length: 10 }, (_, i) => call(i + 1, `GET /orders/${i + 1}`, BUCKET + s(i * 0.1), { service: `orders-${i + 1}` })).flat();
    const { state, outputs } = run(history, config);
    expect(outputs).toEqual([]);
    expect(operations(state)).toEqual(["GET /orders/8", "GET /orders/9", "GET /orders/10"]);
    expect(services(state)).toEqual(["orders-8", "orders-9", "orders-10"]);
    expect(state.statsEvicted).toBe(7 + 7);
  });

  it("under the cap nothing goes", () => {
    const { state } = run([...call(1, "a", BUCKET), ...call(2, "b", BUCKET + s(1)), ...call(3, "c", BUCKET + s(2))], config);
    expect(operations(state)).toEqual(["a", "b", "c"]);
    expect(state.statsEvicted).toBe(0);
  });

  it("the least recently active goes first, not the oldest: a name seen again is kept", () => {
    const history = [...call(1, "a", BUCKET), ...call(2, "b", BUCKET + s(1)), ...call(3, "c", BUCKET + s(2)), ...call(4, "a", BUCKET + s(3))];
    const then = given(history, config).when(callStarted(5, { start: BUCKET + s(4), name: "d" })[1]!);
    then.thenNothing();
    expect(operations(then.state)).toEqual(["c", "a", "d"]);
    expect(then.state.operations.get(operationKey("payments", "a"))?.baseline.samples).toBe(2);
  });

  it("statistics with an alert open are kept: the least recently active without one goes instead", () => {
    // Five errors in five calls of "charge card": its error-rate alert (and its service's) is open.
    const failing = Array.from({ length: 5 }, (_, i) => call(i + 1, "charge card", BUCKET + s(i * 0.1), { error: true })).flat();
    const history = [...failing, ...call(10, "a", BUCKET + s(1)), ...call(11, "b", BUCKET + s(2))];
    const { state, outputs } = run(history, config);
    expect(outputs.map((o) => o.type)).toEqual(["AlertRaised", "AlertRaised"]);
    expect(operations(state)).toEqual(["charge card", "a", "b"]);
    const then = given(history, config).when(callStarted(12, { start: BUCKET + s(3), name: "c" })[1]!);
    then.thenNothing();
    expect(operations(then.state)).toEqual(["charge card", "b", "c"]);
  });

  it("when every statistic has an alert open none goes: the map grows past the cap until they resolve, and new names bring it back", () => {
    const one = monitoringConfig({ maxOperations: 1, errorRate: { minSamples: 5 } });
    const failing = Array.from({ length: 5 }, (_, i) => call(i + 1, "charge card", BUCKET + s(i * 0.1), { error: true })).flat();
    const grown = run([...failing, ...call(10, "a", BUCKET + s(1)), ...call(11, "b", BUCKET + s(2))], one).state;
    // "a" went for "b"; the alert's operation (and service) stayed beside it.
    expect(operations(grown)).toEqual(["charge card", "b"]);
    expect(grown.statsEvicted).toBe(1);

    // Its spans leave the window: a tick resolves the alerts, and the next new name takes the map back to the cap.
    const later = BUCKET + s(61);
    const resolved = given([...failing, ...call(10, "a", BUCKET + s(1)), ...call(11, "b", BUCKET + s(2))], one)
      .when(tick(later))
      .then([
        { type: "AlertResolved", kind: "error_rate", subject: { type: "service" }, reason: "insufficient_samples" },
        { type: "AlertResolved", kind: "error_rate", subject: { type: "operation" }, reason: "insufficient_samples" },
      ]);
    expect(resolved).toHaveLength(2);
    const after = run([...failing, ...call(10, "a", BUCKET + s(1)), ...call(11, "b", BUCKET + s(2)), tick(later), ...call(12, "c", later + s(1))], one).state;
    expect(operations(after)).toEqual(["c"]);
    expect(services(after)).toEqual(["payments"]);
  });

  it("an active operation keeps its error rate while new names churn past the cap within one bucket: its alert is still raised", () => {
    // Every 2 s (all in one 10 s bucket) a failing "charge card" of payments, then two calls of
    // new names of new services: with a cap of three, each map is full of other names by the next round.
    const rounds = (count: number) =>
      Array.from({ length: count }, (_, r) => {
        const at = BUCKET + s(r * 2);
        return [...call(100 + r, "charge card", at, { error: true }), ...call(200 + r, `GET /orders/${r}a`, at + s(0.1), { service: `orders-${r}a` }), ...call(300 + r, `GET /orders/${r}b`, at + s(0.2), { service: `orders-${r}b` })];
      }).flat();
    const at = BUCKET + s(8);
    const then = given([...rounds(4), ...callStarted(104, { start: at, name: "charge card" })], config)
      .when(callEnded(104, { start: at, end: at + ms, error: true })[0]!)
      .then([
        { type: "AlertRaised", kind: "error_rate", subject: { type: "service", service: "payments" }, samples: 5, errors: 5 },
        { type: "AlertRaised", kind: "error_rate", subject: { type: "operation", service: "payments", operation: "charge card" }, samples: 5, errors: 5 },
      ]);
    expect(then).toHaveLength(2);
    const { state } = run(rounds(5), config);
    expect(state.operations.size).toBeLessThanOrEqual(CAP);
    expect(state.services.size).toBeLessThanOrEqual(CAP);
    expect(state.statsEvicted).toBeGreaterThan(0);
  });

  describe("what goes does not depend on whether a tick has seen an alert resolve", () => {
    // "x" of payments fails five times: its alerts (and payments') are open, and resolve at
    // BUCKET + 60 s, when those calls leave the window. "y" of refunds fails four times at
    // BUCKET + 50 s. At BUCKET + 60.5 s a new name of a new service comes, past a cap of two.
    const two = monitoringConfig({ maxOperations: 2, errorRate: { minSamples: 5 } });
    const history = [
      ...Array.from({ length: 5 }, (_, i) => call(i + 1, "x", BUCKET + s(i * 0.1), { error: true })).flat(),
      ...Array.from({ length: 4 }, (_, i) => call(10 + i, "y", BUCKET + s(50 + i * 0.1), { service: "refunds", error: true })).flat(),
    ];
    const newName = call(20, "GET /orders/1", BUCKET + s(60.5), { service: "orders" });
    const resolvedAt = BUCKET + s(60);
    const yFailsAgain = callStarted(30, { start: BUCKET + s(61), name: "y", service: "refunds" });
    const yEnd = callEnded(30, { start: BUCKET + s(61), end: BUCKET + s(61) + ms, error: true })[0]!;
    const raisedForY = [
      { type: "AlertRaised", kind: "error_rate", subject: { type: "service", service: "refunds" }, samples: 5, errors: 5 },
      { type: "AlertRaised", kind: "error_rate", subject: { type: "operation", service: "refunds", operation: "y" }, samples: 5, errors: 5 },
    ] as const;

    it("a tick found x's alerts resolved: x and payments go, y and refunds stay, and y's fifth failure raises", () => {
      given([...history, tick(BUCKET + s(60.2)), ...newName, ...yFailsAgain], two).when(yEnd).then(raisedForY);
    });

    it("no tick came: the new name's start resolves x's alert as the tick would have, its end payments', and the same ones go", () => {
      const [traceBegun, start, end] = newName;
      given([...history, traceBegun!], two)
        .when(start!)
        .then([{ type: "AlertResolved", kind: "error_rate", subject: { type: "operation", operation: "x" }, at: resolvedAt, reason: "insufficient_samples", value: 0 }]);
      given([...history, traceBegun!, start!], two)
        .when(end!)
        .then([{ type: "AlertResolved", kind: "error_rate", subject: { type: "service", service: "payments" }, at: resolvedAt, reason: "insufficient_samples", value: 0 }]);
      const then = given([...history, ...newName, ...yFailsAgain], two).when(yEnd);
      then.then(raisedForY);
      expect(operations(then.state)).toEqual(["GET /orders/1", "y"]);
      expect(then.state.openAlerts.size).toBe(2);
    });
  });

  it("refuses a cap that is not a positive whole number", () => {
    expect(() => monitoringConfig({ maxOperations: 0 })).toThrow("monitoring config: maxOperations must be a positive integer, got 0");
    expect(() => monitoringConfig({ maxOperations: 1.5 })).toThrow(RangeError);
    expect(monitoringConfig().maxOperations).toBe(10_000);
  });
});

// The generated load's four operations, and between them calls of names seen once (an id in
// them, some in services seen once): with a cap a little above four, statistics go all the time,
// some while alerts are open on others. What goes must depend on the log alone, as every decision
// does: a replay, a new leader and another tick cadence must let the same ones go.
describe("statistics let go the same way live, in a replay and after a failover", () => {
  const SECOND = 1_000_000_000n;
  const tight = monitoringConfig({ ...SIMULATION_SETTINGS, maxOperations: 8 });
  let evictedWithAlertsOpen = 0;
  /** The most statistics either map held at once, those with an alert open aside. */
  let mostBeyondHeld = 0;
  let sim: { inputs: MonitoringInput[]; outputs: MonitoringOutput[]; state: MonitoringState };
  beforeAll(() => {
    const load = simulate({ config: tight, seed: 7, seconds: 180, drainSeconds: 200, tracesPerSecond: 30, start: NOW });
    // About five new names a second: with the four operations, past a cap of eight within two seconds.
    const inputs = withNamesSeenOnce(load.inputs, 30);
    const state = initialMonitoringState(tight);
    const outputs: MonitoringOutput[] = [];
    for (const input of inputs) {
      const before = state.statsEvicted;
      const open = state.statisticAlerts.size > 0;
      outputs.push(...handleMonitoringInput(state, input));
      if (open && state.statsEvicted > before) evictedWithAlertsOpen++;
      for (const map of [state.operations, state.services] as Map<string, { errorAlertId?: string; anomalyAlertId?: string }>[]) {
        const held = [...map.values()].filter((stats) => stats.errorAlertId !== undefined || stats.anomalyAlertId !== undefined).length;
        mostBeyondHeld = Math.max(mostBeyondHeld, map.size - held);
      }
    }
    sim = { inputs, outputs, state };
  });
  const alerts = (outputs: readonly MonitoringOutput[]) => outputs.filter((o): o is MonitoringEvent => o.type === "AlertRaised" || o.type === "AlertResolved");
  const byId = (a: MonitoringEvent, b: MonitoringEvent) => (a.alertId + a.type < b.alertId + b.type ? -1 : 1);

  it("lets statistics go, keeps each map within the cap but for those with an alert open, and raises and resolves every alert once", () => {
    expect(sim.state.statsEvicted).toBeGreaterThan(1000);
    expect(evictedWithAlertsOpen).toBeGreaterThan(100);
    expect(mostBeyondHeld).toBe(8);
    // The load's alerts are still raised: its operations are busier than the names seen once.
    const kinds = new Set(sim.outputs.filter((o): o is AlertRaised => o.type === "AlertRaised").map((a) => (a.kind === "error_rate" ? `error_rate/${a.subject.type}` : a.kind)));
    expect([...kinds].sort()).toEqual(["critical_error", "error_rate/operation", "error_rate/service", "latency_anomaly", "slow_span", "slow_trace"]);
    const raised = alerts(sim.outputs).filter((o) => o.type === "AlertRaised").map((o) => o.alertId);
    const resolved = alerts(sim.outputs).filter((o) => o.type === "AlertResolved").map((o) => o.alertId);
    expect(new Set(raised).size).toBe(raised.length);
    expect([...resolved].sort()).toEqual([...raised].sort());
  });

  it("a replay decides the same outputs and reaches the same state, recency order included", () => {
    const again = run(sim.inputs, tight);
    expect(again.outputs).toEqual(sim.outputs);
    expect(again.state).toEqual(sim.state);
  });

  it.each([0.3, 0.5, 0.7])("mid-run (stopped at a tick %f of the way), a replayed instance holds exactly the statistics of the one that ran live", (at) => {
    const cut = sim.inputs.findIndex((input, i) => i >= sim.inputs.length * at && input.type === "Tick") + 1;
    const live = run(sim.inputs.slice(0, cut), tight);
    const replica = rebuiltState(tight, sim.inputs.slice(0, cut), alerts(live.outputs));
    // Caught up, it ticks at the time the live one reached (its commands are the runner's to send again: pending-commands.ts).
    expect(alerts(handleMonitoringInput(replica, sim.inputs[cut - 1]!))).toEqual([]);
    const statistics = (state: MonitoringState) => ({
      operations: [...state.operations],
      services: [...state.services],
      statsEvicted: state.statsEvicted,
      openAlerts: [...state.openAlerts.keys()],
    });
    expect(statistics(replica)).toEqual(statistics(live.state));
  });

  it.each([0.3, 0.5, 0.7])("failover at %f of the run: the instance rebuilt from the log decides what the first did and carries on", (at) => {
    const cut = Math.floor(sim.inputs.length * at);
    const first = run(sim.inputs.slice(0, cut), tight);
    const second = rebuiltState(tight, sim.inputs.slice(0, cut), alerts(first.outputs));
    const takenOver = sim.inputs.slice(cut).flatMap((input) => [...handleMonitoringInput(second, input)]);
    expect([...first.outputs, ...takenOver]).toEqual(sim.outputs);
  });

  it("an idle statistic just behind a busy one of its second: a leader whose tick forgot it and a replay whose ticks did not let the same ones go", () => {
    // C, then B, then C 30 times more within one second: B (idle from R + 0.2 s) sits behind C
    // (idle from R + 0.88 s) in the map. The leader ticks at R + 0.5 s and forgets B; a replay's
    // ticks follow the log and none falls there. Then D comes, past a cap of two, and C is slow.
    const R = 3600;
    const two = monitoringConfig({ maxOperations: 2 });
    let n = 0;
    const callOf = (name: string, at: bigint, durationNs = ms) => [...callStarted(++n, { start: at, name, service: `svc-${name}` }), ...callEnded(n, { start: at, end: at + durationNs })];
    const inputs: MonitoringInput[] = [
      ...callOf("C", NOW + s(0.1)),
      ...callOf("B", NOW + s(0.2)),
      ...Array.from({ length: 30 }, (_, i) => callOf("C", NOW + s(0.3 + i * 0.02))).flat(),
      traceBegan({ traceId: traceIdOf(9999), start: NOW + s(R + 0.15), service: "svc-x" }),
      tick(NOW + s(R + 0.5)),
      ...callOf("D", NOW + s(R + 0.6)),
    ];
    const checkpoint = inputs.length;
    inputs.push(...callOf("C", NOW + s(R + 0.7), 500n * ms));
    const statistics = (state: MonitoringState) => ({ operations: [...state.operations.values()].map((op) => `${op.operation}/${op.baseline.samples}`), statsEvicted: state.statsEvicted });

    const first = lead(two, inputs.slice(0, checkpoint));
    expect(statistics(first.replica.state)).toEqual({ operations: ["C/31", "D/1"], statsEvicted: 0 });
    const replay = lead(two, inputs.slice(0, checkpoint).filter((input) => input.type === "TraceEventRecorded"));
    expect(statistics(replay.replica.state)).toEqual(statistics(first.replica.state));

    const anomaly = [{ type: "AlertRaised", kind: "latency_anomaly", subject: { type: "operation", service: "svc-C", operation: "C" } }];
    expect(alertsOf(lead(two, inputs).decided)).toMatchObject(anomaly);
    const second = takeOver(two, inputs, { checkpoint, stored: alertsOf(first.decided), takenOverAt: checkpoint });
    expect(alertsOf(second.decided)).toMatchObject(anomaly);
  });

  it("seeded logs at a cap of two: a leader ticking every 100 ms and replays ticking at the log's times hold the same busy statistics after every event", () => {
    const small = monitoringConfig({
      maxOperations: 2,
      statsRetentionNs: 10n * SECOND,
      errorRate: { windowNs: 10n * SECOND, bucketNs: SECOND, minSamples: 3 },
      anomaly: { minSamples: 3, clearAfter: 2 },
    });
    const differing: number[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const log = seededLog(seed, small.statsRetentionNs);
      const feeds = [leaderTicks(log, 100n * ms), logTicks(log, SECOND), logTicks(log, 5n * SECOND)];
      const states = feeds.map(() => initialMonitoringState(small));
      const next = feeds.map(() => 0);
      for (const event of log) {
        const seen = feeds.map((inputs, r) => {
          for (let input = inputs[next[r]!++]!; ; input = inputs[next[r]!++]!) {
            handleMonitoringInput(states[r]!, input);
            if (input === event) break;
          }
          return busyStatistics(states[r]!);
        });
        if (seen.some((one) => one !== seen[0])) {
          differing.push(seed);
          break;
        }
      }
    }
    expect(differing).toEqual([]);
  });

  it("which alerts exist does not depend on the tick cadence", () => {
    const end = [...sim.inputs].reverse().find((i) => i.type === "Tick")!.now;
    const reference = alerts(sim.outputs).sort(byId);
    for (const every of [3n * SECOND, 7n * SECOND]) expect(alerts(run(withTicksEvery(sim.inputs, every, end), tight).outputs).sort(byId)).toEqual(reference);
  });
});

/**
 * `inputs` with a call of a name seen once after every `every`-th trace event: its own trace,
 * recorded at that event's time (the log's order is its recorded times'), one in three of its own
 * service.
 */
function withNamesSeenOnce(inputs: readonly MonitoringInput[], every: number): MonitoringInput[] {
  const out: MonitoringInput[] = [];
  let events = 0;
  let n = 0;
  for (const input of inputs) {
    out.push(input);
    if (input.type !== "TraceEventRecorded" || ++events % every !== 0) continue;
    n++;
    const traceId = traceIdOf(1_000_000 + n);
    const spanId = spanIdOf(1_000_000 + n);
    const service = n % 3 === 0 ? `orders-${n}` : "orders";
    const at = input.recordedAt;
    out.push(
      traceBegan({ traceId, start: at - ms, service, at }),
      started(spanId, { traceId, start: at - ms, service, name: `GET /orders/${n}`, at }),
      ended(spanId, { traceId, end: at, at }),
      completed({ traceId, start: at - ms, end: at, at }),
    );
  }
  return out;
}

/** Calls of three names in three services, a few hundred ms apart, and now and then (15 %) a quiet spell just short of the retention. */
function seededLog(seed: number, retentionNs: bigint): MonitoringInput[] {
  const random = seededRandom(seed);
  const log: MonitoringInput[] = [];
  let at = NOW;
  for (let n = 1; n <= 60; n++) {
    const stepMs = random() < 0.15 ? Number(retentionNs / ms) - 900 + random() * 900 : random() * 300;
    at += BigInt(Math.floor(stepMs)) * ms;
    const name = `op${Math.floor(random() * 3)}`;
    const end = at + (random() < 0.1 ? 200n : 1n) * ms;
    const call = [...callStarted(n, { start: at, name, service: `svc${Math.floor(random() * 3)}` }), ...callEnded(n, { start: at, end, error: random() < 0.4 })];
    // All four recorded when the call ends.
    for (const input of call) log.push({ ...input, recordedAt: end });
  }
  return log;
}

/** `log` with a leader's ticks on its own clock: every `everyNs`, whatever the log does. */
function leaderTicks(log: readonly MonitoringInput[], everyNs: bigint): MonitoringInput[] {
  const out: MonitoringInput[] = [];
  let next = 0n;
  for (const input of log) {
    if (input.type !== "TraceEventRecorded") continue;
    if (next === 0n) next = input.recordedAt - (input.recordedAt % everyNs) + everyNs;
    for (; next < input.recordedAt; next += everyNs) out.push(tick(next));
    out.push(input);
  }
  return out;
}

/** `log` with a replay's ticks: one each time recorded time has moved `everyNs`, at the newest seen (SagaFold). */
function logTicks(log: readonly MonitoringInput[], everyNs: bigint): MonitoringInput[] {
  const out: MonitoringInput[] = [];
  let last = 0n;
  let newest = 0n;
  for (const input of log) {
    if (input.type !== "TraceEventRecorded") continue;
    if (input.recordedAt >= last + everyNs && newest > last) out.push(tick((last = newest)));
    if (input.recordedAt > newest) newest = input.recordedAt;
    out.push(input);
  }
  return out;
}

/** The statistics not idle, in order, with their baselines' sample counts, and statsEvicted. */
function busyStatistics(state: MonitoringState): string {
  const busy = (map: Map<string, { lastActivity: bigint; grainEnd: bigint; baseline?: { samples: number } }>) =>
    [...map].filter(([, stats]) => !isIdle(stats, state.clock, state.config)).map(([key, stats]) => `${key}:${stats.baseline?.samples ?? ""}`);
  return JSON.stringify([busy(state.operations), busy(state.services), state.statsEvicted]);
}
