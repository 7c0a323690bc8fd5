import { beforeAll, describe, expect, it } from "vitest";
import { NOW } from "../testing/trace-specification.js";
import { distributedTracingSaga, handleMonitoringInput } from "./distributed-tracing-saga.js";
import { monitoringConfig } from "./monitoring-config.js";
import type { AlertRaised, MonitoringEvent } from "./monitoring-events.js";
import type { MonitoringInput } from "./monitoring-input.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import type { MonitoringState } from "./monitoring-state.js";
import { run } from "./testing/monitoring-specification.js";
import { SIMULATION_SETTINGS, simulate, withTicksEvery, type Simulation } from "./testing/monitoring-simulation.js";
import { rebuiltState } from "./testing/monitoring-takeover.js";

const SECOND = 1_000_000_000n;
const config = monitoringConfig(SIMULATION_SETTINGS);
const options = { config, seed: 7, seconds: 180, drainSeconds: 200, tracesPerSecond: 30, start: NOW };

let sim: Simulation;
beforeAll(() => {
  sim = simulate(options);
});

const alerts = (outputs: readonly MonitoringOutput[]) => outputs.filter((o): o is MonitoringEvent => o.type === "AlertRaised" || o.type === "AlertResolved");
const byId = (a: MonitoringEvent, b: MonitoringEvent) => (a.alertId + a.type < b.alertId + b.type ? -1 : 1);

describe("the saga over a generated load, through the real trace aggregate", () => {
  it("exercises every rule (so the specs below are not vacuous)", () => {
    const raised = sim.outputs.filter((o): o is AlertRaised => o.type === "AlertRaised");
    const kinds = new Set(raised.map((a) => (a.kind === "error_rate" ? `error_rate/${a.subject.type}` : a.kind)));
    expect([...kinds].sort()).toEqual(["critical_error", "error_rate/operation", "error_rate/service", "latency_anomaly", "slow_span", "slow_trace"]);
    const commands = new Set(sim.outputs.filter((o) => o.type === "CloseOrphanedSpan" || o.type === "CloseTrace").map((o) => o.type));
    expect([...commands].sort()).toEqual(["CloseOrphanedSpan", "CloseTrace"]);
    expect(sim.inputs.length).toBeGreaterThan(20_000);
  });

  it("the aggregate accepts every command the saga gives", () => {
    expect([...sim.rejected]).toEqual([]);
  });

  it("every alert is raised once and resolved once", () => {
    const raised = new Map<string, number>();
    const resolved = new Map<string, number>();
    for (const o of sim.outputs) {
      if (o.type === "AlertRaised") raised.set(o.alertId, (raised.get(o.alertId) ?? 0) + 1);
      if (o.type === "AlertResolved") {
        expect(raised.has(o.alertId), `${o.alertId} resolved before it was raised`).toBe(true);
        resolved.set(o.alertId, (resolved.get(o.alertId) ?? 0) + 1);
      }
    }
    expect([...raised.values()].every((n) => n === 1)).toBe(true);
    expect([...resolved.values()].every((n) => n === 1)).toBe(true);
    expect([...raised.keys()].sort()).toEqual([...resolved.keys()].sort());
  });

  it("each command is given once", () => {
    const keys = sim.outputs.filter((o) => o.type === "CloseOrphanedSpan" || o.type === "CloseTrace").map((o) => JSON.stringify(o));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("the state stays bounded: once the load stops, every trace completes and every statistic is forgotten", () => {
    expect(sim.openTraces).toBe(0);
    expect(sim.state.traces.size).toBe(0);
    expect(sim.state.liveTraces.size).toBe(0);
    expect(sim.state.openAlerts.size).toBe(0);
    expect(sim.state.statisticAlerts.size).toBe(0);
    expect(sim.state.operations.size).toBe(0);
    expect(sim.state.services.size).toBe(0);
  });
});

describe("replay", () => {
  it("folding the same inputs from the initial state decides the same outputs and reaches the same state", () => {
    const again = run(sim.inputs, config);
    expect(again.outputs).toEqual(sim.outputs);
    expectSameState(again.state, sim.state);
  });

  it.each([80, 90, 120, 170])("mid-run (stopped after %i s), a replayed instance holds exactly the state of the one that ran live", (seconds) => {
    // The same load, stopped part of the way: the state that instance reached live, traces in flight and alerts open.
    const live = simulate({ ...options, seconds, drainSeconds: 0 });
    expect(live.state.traces.size).toBeGreaterThan(0);
    expect(live.state.openAlerts.size).toBeGreaterThan(0);
    const replica = rebuilt(live.inputs, alerts(live.outputs));
    // Caught up, a runner ticks at the time it reached. What the live ticks decided is stored, so nothing is decided twice.
    expect(handleMonitoringInput(replica, { type: "Tick", now: lastTickOf(live.inputs) })).toEqual([]);
    expectSameState(replica, live.state);
  });

  it("folding an alert it already holds changes nothing (a rebuild folds the stored alerts over a replay that raised them too)", () => {
    const saga = distributedTracingSaga(config);
    const kinds = new Set<string>();
    // The states the live instance held, every 5 s from 20 s to 180 s: folding the run's inputs
    // reaches them again (see above), one run for every cut rather than one run each.
    const cuts = new Set(Array.from({ length: 33 }, (_, i) => NOW + BigInt(20 + 5 * i) * SECOND));
    const state = saga.initialState();
    let checked = 0;
    for (const input of sim.inputs) {
      handleMonitoringInput(state, input);
      if (input.type !== "Tick" || !cuts.has(input.now)) continue;
      const again = structuredClone(state);
      for (const alert of state.openAlerts.values()) {
        kinds.add(alert.kind);
        saga.evolve(again, alert);
      }
      expectSameState(again, state);
      checked++;
    }
    expect(checked).toBe(cuts.size);
    // Every kind that stays open for a while was folded twice (critical errors close with
    // their span at once: critical-error-rules.unit.spec.ts folds one twice).
    expect([...kinds].sort()).toEqual(["error_rate", "latency_anomaly", "slow_span", "slow_trace"]);
  });

  it.each([0.3, 0.6, 0.9])("failover at %f of the run: a second instance rebuilt from the log decides what the first did, with the same alert ids, and carries on", (at) => {
    const cut = Math.floor(sim.inputs.length * at);
    // The first instance stops at the cut: its alert events are stored, its commands' effects are in the log.
    const first = run(sim.inputs.slice(0, cut), config);
    const stored = alerts(first.outputs);
    const second = rebuilt(sim.inputs.slice(0, cut), stored);
    const takenOver = sim.inputs.slice(cut).flatMap((input) => [...handleMonitoringInput(second, input)]);
    // Between them the two gave what one instance gave running live throughout: nothing twice, nothing missed, the same ids.
    expect([...first.outputs, ...takenOver]).toEqual(sim.outputs);
    // Not only alerts of its own: it resolves ones the first raised, which it knows of from the stream alone.
    const raisedByFirst = new Set(stored.filter((a) => a.type === "AlertRaised").map((a) => a.alertId));
    expect(takenOver.filter((o) => o.type === "AlertResolved" && raisedByFirst.has(o.alertId)).length).toBeGreaterThan(0);
  });

  it("which alerts exist does not depend on the tick cadence", () => {
    const end = lastTickOf(sim.inputs);
    const reference = alerts(sim.outputs).sort(byId);
    for (const every of [3n * SECOND, 7n * SECOND]) {
      const other = run(withTicksEvery(sim.inputs, every, end), config);
      expect(alerts(other.outputs).sort(byId)).toEqual(reference);
    }
  });
});

/**
 * What a replica taking the lease rebuilds from (saga-runner.ts, saga-fold.ts): the trace events
 * of the log, with a tick each time their recorded time has moved a tick interval (at the newest
 * recorded time seen), what they decide discarded (it was stored or sent before), then the stored
 * alert events folded over them. The live ticks are not stored, so whatever they decided
 * differently has to come back from the stream. The log ends here, so the replica has caught up
 * (see saga-takeover.unit.spec.ts for a checkpoint behind the stored alerts).
 */
function rebuilt(log: readonly MonitoringInput[], stream: readonly MonitoringEvent[], tickNs = SECOND): MonitoringState {
  return rebuiltState(config, log, stream, tickNs);
}

function lastTickOf(inputs: readonly MonitoringInput[]): bigint {
  return [...inputs].reverse().find((i) => i.type === "Tick")!.now;
}

function expectSameState(actual: MonitoringState, expected: MonitoringState): void {
  expect(actual).toEqual(expected);
  // toEqual does not see order, and the recency order is part of the state.
  expect([...actual.traces.keys()]).toEqual([...expected.traces.keys()]);
  expect([...actual.operations.keys()]).toEqual([...expected.operations.keys()]);
  expect([...actual.services.keys()]).toEqual([...expected.services.keys()]);
  expect([...actual.openAlerts.keys()]).toEqual([...expected.openAlerts.keys()]);
}
