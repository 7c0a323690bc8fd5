import { beforeAll, describe, expect, it } from "vitest";
import { NOW } from "../testing/trace-specification.js";
import { distributedTracingSaga, handleMonitoringInput } from "./distributed-tracing-saga.js";
import { monitoringConfig } from "./monitoring-config.js";
import type { AlertRaised, MonitoringEvent } from "./monitoring-events.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import type { MonitoringState } from "./monitoring-state.js";
import { run } from "./testing/monitoring-specification.js";
import { simulate, withTicksEvery, type Simulation } from "./testing/monitoring-simulation.js";

const SECOND = 1_000_000_000n;
const config = monitoringConfig({
  criticalErrorTypes: ["OutOfMemoryError"],
  orphanTimeoutNs: 30n * SECOND,
  traceIdleTimeoutNs: 20n * SECOND,
  statsRetentionNs: 120n * SECOND,
});
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

  it("mid-run, a replayed instance holds exactly the state of the one that ran live", () => {
    const half = Math.floor(sim.inputs.length / 2);
    const live = run(sim.inputs.slice(0, half), config);
    const replayed = run(sim.inputs.slice(0, half), config);
    expectSameState(replayed.state, live.state);
    expect(live.state.traces.size).toBeGreaterThan(0);
  });

  it("failover: a second instance rebuilt from the log decides what the first did, with the same alert ids, and carries on", () => {
    const cut = Math.floor(sim.inputs.length * 0.6);
    const first = run(sim.inputs.slice(0, cut), config);
    // The second instance replays the log up to the cut (its outputs are already stored, and the
    // store keeps one copy of each id), then takes over.
    const saga = distributedTracingSaga(config);
    const second = saga.initialState();
    const replayed = sim.inputs.slice(0, cut).flatMap((input) => [...handleMonitoringInput(second, input)]);
    expect(replayed).toEqual(first.outputs);
    const takenOver = sim.inputs.slice(cut).flatMap((input) => [...handleMonitoringInput(second, input)]);
    expect([...first.outputs, ...takenOver]).toEqual(sim.outputs);
  });

  it("which alerts exist does not depend on the tick cadence", () => {
    const end = [...sim.inputs].reverse().find((i) => i.type === "Tick")!.now;
    const reference = alerts(sim.outputs).sort(byId);
    for (const every of [3n * SECOND, 7n * SECOND]) {
      const other = run(withTicksEvery(sim.inputs, every, end), config);
      expect(alerts(other.outputs).sort(byId)).toEqual(reference);
    }
  });
});

function expectSameState(actual: MonitoringState, expected: MonitoringState): void {
  expect(actual).toEqual(expected);
  // toEqual does not see order, and the recency order is part of the state.
  expect([...actual.traces.keys()]).toEqual([...expected.traces.keys()]);
  expect([...actual.operations.keys()]).toEqual([...expected.operations.keys()]);
  expect([...actual.services.keys()]).toEqual([...expected.services.keys()]);
  expect([...actual.openAlerts.keys()]).toEqual([...expected.openAlerts.keys()]);
}
