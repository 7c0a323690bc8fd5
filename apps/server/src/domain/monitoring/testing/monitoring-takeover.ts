// The saga as its runner drives it (saga-runner.ts, saga-fold.ts), without the
// database, for specs of a change of leader. A replica reads trace events from
// the log, and time passes with them the way SagaFold gives it: a tick each time
// their recorded time has moved a tick interval, at the newest recorded time
// seen. A leader also ticks on its own clock. A replica taking the lease replays
// the log up to the saved checkpoint (what it decides then was stored or sent
// before, and is dropped), folds the stored alert events over that, reads the
// rest of the log, and then, caught up, carries on as the leader.

import { handleMonitoringInput } from "../distributed-tracing-saga.js";
import type { MonitoringConfig } from "../monitoring-config.js";
import type { MonitoringEvent } from "../monitoring-events.js";
import type { MonitoringInput, TraceEventRecorded } from "../monitoring-input.js";
import type { MonitoringOutput } from "../monitoring-output.js";
import { initialMonitoringState, type MonitoringState } from "../monitoring-state.js";
import { adoptStoredAlerts, foldStoredAlert } from "../stored-alerts.js";

export const SECOND = 1_000_000_000n;

export class Replica {
  readonly state: MonitoringState;
  private lastTick = 0n;
  private nextTick: bigint;
  private newest = 0n;

  constructor(
    config: MonitoringConfig,
    private readonly tickNs: bigint = SECOND,
  ) {
    this.state = initialMonitoringState(config);
    this.nextTick = tickNs;
  }

  /** One trace event read from the log, with the tick SagaFold.event gives before it. */
  read(input: TraceEventRecorded): MonitoringOutput[] {
    const out: MonitoringOutput[] = [];
    if (input.recordedAt >= this.nextTick && this.newest > this.lastTick) out.push(...this.tick(this.newest));
    if (input.recordedAt > this.newest) this.newest = input.recordedAt;
    out.push(...handleMonitoringInput(this.state, input));
    return out;
  }

  tick(now: bigint): MonitoringOutput[] {
    if (now > this.lastTick) {
      this.lastTick = now;
      this.nextTick = now + this.tickNs;
    }
    return [...handleMonitoringInput(this.state, { type: "Tick", now })];
  }

  /** A trace event is read, a tick is the leader's own. */
  give(input: MonitoringInput): MonitoringOutput[] {
    return input.type === "Tick" ? this.tick(input.now) : this.read(input);
  }

  /** An alert event read back from the monitoring stream while the replica is rebuilt. */
  foldStored(event: MonitoringEvent): void {
    foldStoredAlert(this.state, event);
  }

  /** The rebuilt replica has read the log to its end. */
  caughtUp(): void {
    adoptStoredAlerts(this.state);
  }
}

export interface Decided {
  /** The index of the input that decided it. */
  readonly at: number;
  readonly output: MonitoringOutput;
}

/** One leader given every input from the start, as if nothing ever interrupted it. */
export function lead(config: MonitoringConfig, inputs: readonly MonitoringInput[]): { replica: Replica; decided: Decided[] } {
  const replica = new Replica(config);
  const decided: Decided[] = [];
  inputs.forEach((input, at) => {
    for (const output of replica.give(input)) decided.push({ at, output });
  });
  return { replica, decided };
}

export interface Takeover {
  /** Inputs the first leader consumed and checkpointed: it read the log up to here. */
  readonly checkpoint: number;
  /** The alert events in the monitoring stream when the new leader rebuilds, in order. */
  readonly stored: readonly MonitoringEvent[];
  /** Where the new leader has caught up with the log and starts to tick on its own (>= checkpoint). */
  readonly takenOverAt: number;
}

/**
 * A replica taking the saga over: the trace events before the checkpoint
 * replayed (their decisions dropped: the live ticks the old leader gave are
 * not in the log), the stored alerts folded, the events up to `takenOverAt`
 * read to catch up, then every input as the leader. Returns what it decided
 * from the checkpoint on (what its runner would append or send).
 */
export function takeOver(config: MonitoringConfig, inputs: readonly MonitoringInput[], takeover: Takeover): { replica: Replica; decided: Decided[] } {
  const replica = new Replica(config);
  for (let i = 0; i < takeover.checkpoint; i++) {
    const input = inputs[i]!;
    if (input.type === "TraceEventRecorded") replica.read(input);
  }
  for (const event of takeover.stored) replica.foldStored(event);
  const decided: Decided[] = [];
  for (let i = takeover.checkpoint; i < takeover.takenOverAt; i++) {
    const input = inputs[i]!;
    if (input.type === "TraceEventRecorded") for (const output of replica.read(input)) decided.push({ at: i, output });
  }
  replica.caughtUp();
  for (let i = takeover.takenOverAt; i < inputs.length; i++) for (const output of replica.give(inputs[i]!)) decided.push({ at: i, output });
  return { replica, decided };
}

export function alertsOf(decided: readonly Decided[]): MonitoringEvent[] {
  return decided.map((d) => d.output).filter((o): o is MonitoringEvent => o.type === "AlertRaised" || o.type === "AlertResolved");
}

/**
 * The state of a replica that took the lease once the log ends: the log replayed with a tick
 * each time recorded time moved `tickNs` (what it decides discarded: it was stored or sent
 * before), then the stored alert events folded over it.
 */
export function rebuiltState(config: MonitoringConfig, log: readonly MonitoringInput[], stream: readonly MonitoringEvent[], tickNs = SECOND): MonitoringState {
  const state = initialMonitoringState(config);
  let lastTick = 0n;
  let newest = 0n;
  for (const input of log) {
    if (input.type !== "TraceEventRecorded") continue;
    if (input.recordedAt >= lastTick + tickNs && newest > lastTick) {
      handleMonitoringInput(state, { type: "Tick", now: newest });
      lastTick = newest;
    }
    if (input.recordedAt > newest) newest = input.recordedAt;
    handleMonitoringInput(state, input);
  }
  for (const event of stream) foldStoredAlert(state, event);
  adoptStoredAlerts(state);
  return state;
}
