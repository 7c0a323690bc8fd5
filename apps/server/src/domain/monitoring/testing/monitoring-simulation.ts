// A small world for whole-saga specs: a seeded load of traces goes through the
// real trace aggregate (decideTrace/evolveTrace), every event it appends is fed
// to the saga as the subscriber would, and the saga's commands go back to the
// aggregate at once. The result is the log the saga saw (events and ticks, in
// order) and everything it decided, ready to be replayed.

import { SpanKind, StatusCode } from "@traceledger/proto";
import { DEFAULT_SPAN_LIMITS } from "../../trace/span-limits.js";
import type { TraceCommand } from "../../trace/trace-commands.js";
import { decideTrace } from "../../trace/trace-decide.js";
import { evolveTrace, initialTraceState, type TraceState } from "../../trace/trace-state.js";
import { handleMonitoringInput } from "../distributed-tracing-saga.js";
import type { MonitoringConfig, MonitoringConfigInput } from "../monitoring-config.js";
import type { TraceEventCase } from "../../trace/trace-event.js";
import type { MonitoringInput, Tick, TraceEventRecorded } from "../monitoring-input.js";
import type { MonitoringOutput } from "../monitoring-output.js";
import { initialMonitoringState, type MonitoringState } from "../monitoring-state.js";
import { seededRandom } from "../../testing/seeded-random.js";

/**
 * Settings under which a simulated minute or three raises every kind of alert: critical errors,
 * orphans and idle traces within the run, statistics kept past it.
 */
export const SIMULATION_SETTINGS: MonitoringConfigInput = {
  criticalErrorTypes: ["OutOfMemoryError"],
  orphanTimeoutNs: 30_000_000_000n,
  traceIdleTimeoutNs: 20_000_000_000n,
  statsRetentionNs: 120_000_000_000n,
};

/** An input as the simulation made it: trace events as the aggregate decided them, whole. */
type SimulatedInput = Tick | (TraceEventRecorded & { readonly event: TraceEventCase });

interface SimulationOptions {
  readonly config: MonitoringConfig;
  readonly seed: number;
  /** How long new traces arrive; afterwards time runs on (ticks only) for `drainSeconds`. */
  readonly seconds: number;
  readonly drainSeconds: number;
  readonly tracesPerSecond: number;
  readonly start: bigint;
}

export interface Simulation {
  /** What the saga was given, in order. */
  readonly inputs: SimulatedInput[];
  readonly outputs: MonitoringOutput[];
  readonly state: MonitoringState;
  /** Traces the aggregate still holds open at the end. */
  readonly openTraces: number;
  /** Commands the aggregate rejected, by reason. */
  readonly rejected: Map<string, number>;
}

const STEP = 100_000_000n; // 100 ms
const TICK_EVERY = 10; // steps
const OPERATIONS = [
  { service: "checkout", name: "POST /checkout", meanMs: 40 },
  { service: "payments", name: "charge card", meanMs: 25 },
  { service: "inventory", name: "reserve items", meanMs: 8 },
  { service: "shipping", name: "quote", meanMs: 15 },
] as const;

export function simulate(options: SimulationOptions): Simulation {
  const random = seededRandom(options.seed);
  const saga = initialMonitoringState(options.config);
  const inputs: SimulatedInput[] = [];
  const outputs: MonitoringOutput[] = [];
  const traces = new Map<string, TraceState>();
  const rejected = new Map<string, number>();
  const scheduled = new Map<number, TraceCommand[]>();
  let ids = 0;
  const hex = (digits: number) => {
    let out = "";
    while (out.length < digits) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, "0");
    return out.slice(0, digits);
  };

  const feed = (input: SimulatedInput, now: bigint) => {
    inputs.push(input);
    const decided = handleMonitoringInput(saga, input);
    outputs.push(...decided);
    for (const output of decided) if (output.type === "CloseOrphanedSpan" || output.type === "CloseTrace") execute(output, now);
  };

  const execute = (command: TraceCommand, now: bigint) => {
    const state = traces.get(command.traceId) ?? initialTraceState(command.traceId);
    const decision = decideTrace(command, state, { now, newId: () => `sim-${++ids}`, limits: DEFAULT_SPAN_LIMITS });
    if (!decision.ok) {
      rejected.set(decision.error.reason, (rejected.get(decision.error.reason) ?? 0) + 1);
      return;
    }
    traces.set(command.traceId, state);
    for (const event of decision.events) {
      evolveTrace(state, event);
      if (event.case === "traceCompleted") traces.delete(command.traceId);
      feed({ type: "TraceEventRecorded", traceId: command.traceId, event, recordedAt: now, version: state.version }, now);
    }
  };

  const schedule = (at: bigint, command: TraceCommand) => {
    const step = Number((at - options.start + STEP - 1n) / STEP);
    const list = scheduled.get(step);
    if (list) list.push(command);
    else scheduled.set(step, [command]);
  };

  const planTrace = (start: bigint, second: number) => {
    const traceId = hex(32);
    const remote = random() < 0.1;
    const root = span(hex(16), 0, start);
    const rootStart = { ...root.start, parentSpanId: remote ? hex(16) : "", parentIsRemote: remote };
    schedule(start, rootStart);
    const children = Math.floor(random() * 4);
    for (let c = 0; c < children; c++) {
      const childStart = start + BigInt(Math.floor(random() * 5)) * 1_000_000n;
      const child = span(hex(16), 1 + Math.floor(random() * 3), childStart);
      schedule(childStart, { ...child.start, parentSpanId: rootStart.spanId, parentIsRemote: false });
      child.finish(childStart, second);
    }
    root.finish(start, second);

    function span(spanId: string, op: number, at: bigint) {
      const operation = OPERATIONS[op]!;
      const roll = random();
      // Mostly near the mean; now and then very slow; rarely never ending.
      const durationNs =
        roll < 0.005
          ? BigInt(6000 + Math.floor(random() * 6000)) * 1_000_000n
          : BigInt(Math.round(operation.meanMs * (0.6 + random() * 0.8) * 1e6));
      const neverEnds = roll > 0.998;
      const start: Extract<TraceCommand, { type: "StartSpan" }> = {
        type: "StartSpan",
        traceId,
        spanId,
        parentSpanId: "",
        parentIsRemote: false,
        name: operation.name,
        kind: SpanKind.SERVER,
        serviceName: operation.service,
        startTime: at,
        attributes: [],
        links: [],
        resourceAttributes: [],
        tracestate: "",
        flags: 1,
        scopeName: "",
      };
      return {
        start,
        durationNs,
        finish(begin: bigint, second: number) {
          if (neverEnds) return;
          const end = begin + durationNs;
          // "charge card" has a bad minute.
          const errorRate = operation.name === "charge card" && second >= 60 && second < 120 ? 0.3 : 0.02;
          const failed = random() < errorRate;
          if (failed || random() < 0.002) {
            const critical = random() < 0.05;
            schedule(begin + durationNs / 2n, {
              type: "RecordError",
              traceId,
              spanId,
              errorId: `e-${spanId}`,
              time: begin + durationNs / 2n,
              errorType: critical ? "OutOfMemoryError" : "CardDeclined",
              message: "failed",
              stacktrace: "",
              escaped: false,
              attributes: [],
            });
          }
          schedule(end, {
            type: "EndSpan",
            traceId,
            spanId,
            endTime: end,
            statusCode: failed ? StatusCode.ERROR : StatusCode.OK,
            statusMessage: "",
            endReason: 0,
            attributes: [],
            name: "",
          });
        },
      };
    }
  };

  const steps = (options.seconds + options.drainSeconds) * 10;
  for (let step = 0; step <= steps; step++) {
    const now = options.start + BigInt(step) * STEP;
    const second = Math.floor(step / 10);
    if (second < options.seconds) {
      const arrivals = Math.floor((options.tracesPerSecond / 10) * (0.5 + random()));
      for (let i = 0; i < arrivals; i++) planTrace(now + BigInt(Math.floor(random() * 100)) * 1_000_000n, second);
    }
    const due = scheduled.get(step);
    scheduled.delete(step);
    for (const command of due ?? []) execute(command, now);
    // Every event recorded up to now has been fed: the tick is a watermark.
    if (step % TICK_EVERY === 0) feed({ type: "Tick", now }, now);
  }
  return { inputs, outputs, state: saga, openTraces: traces.size, rejected };
}

/** Ticks replaced by ones every `everyNs` (and one at `end`), still placed as watermarks. */
export function withTicksEvery(inputs: readonly MonitoringInput[], everyNs: bigint, end: bigint): MonitoringInput[] {
  const events = inputs.filter((i) => i.type === "TraceEventRecorded");
  const out: MonitoringInput[] = [];
  let next = events.length === 0 ? end : events[0]!.recordedAt - (events[0]!.recordedAt % everyNs) + everyNs;
  for (const event of events) {
    while (next < event.recordedAt) {
      out.push({ type: "Tick", now: next });
      next += everyNs;
    }
    out.push(event);
  }
  while (next < end) {
    out.push({ type: "Tick", now: next });
    next += everyNs;
  }
  out.push({ type: "Tick", now: end });
  return out;
}

