// given(events).when(command).then(events | outcome | error): the trace
// decider's rules read as the rule they check (after Emmett's
// DeciderSpecification). `then` also folds the new events, so every spec checks
// that decide's output is something evolve accepts.

import { expect } from "vitest";
import { create, toJson } from "@bufbuild/protobuf";
import { TraceEventSchema } from "@traceledger/proto";
import { DEFAULT_SPAN_LIMITS, type SpanLimits } from "../trace/span-limits.js";
import type { TraceCommand } from "../trace/trace-commands.js";
import { decideTrace, type CommandOutcome, type Decision } from "../trace/trace-decide.js";
import type { TraceErrorReason } from "../trace/trace-error.js";
import type { TraceEventCase } from "../trace/trace-event.js";
import { evolveTrace, foldTrace, type TraceState } from "../trace/trace-state.js";

export const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
export const NOW = 1_764_000_000_000_000_000n;

interface SpecOptions {
  readonly now?: bigint;
  /** Limits that differ from the defaults (DEFAULT_SPAN_LIMITS). */
  readonly limits?: Partial<SpanLimits>;
}

export function given(history: TraceEventCase[], options: SpecOptions = {}) {
  return {
    when(command: TraceCommand) {
      let n = 0;
      const state = foldTrace(TRACE, history);
      const decision = decideTrace(command, state, {
        now: options.now ?? NOW,
        newId: () => `generated-${++n}`,
        limits: { ...DEFAULT_SPAN_LIMITS, ...options.limits },
      });
      return new Then(decision, state, history);
    },
  };
}

class Then {
  constructor(
    private readonly decision: Decision,
    private readonly state: TraceState,
    private readonly history: TraceEventCase[],
  ) {}

  /** The command is accepted and decides exactly these events. */
  then(expected: TraceEventCase[]): CommandOutcome {
    const decision = this.accepted();
    expect(decision.events.map(asJson)).toEqual(expected.map(asJson));
    return decision.outcome;
  }

  /** The command is accepted; returns its events and outcome for finer checks. */
  thenAccepted(): { events: TraceEventCase[]; outcome: CommandOutcome; state: TraceState } {
    const decision = this.accepted();
    return { events: decision.events, outcome: decision.outcome, state: this.state };
  }

  /** The command is rejected with this reason, and decides nothing. */
  thenRejected(reason: TraceErrorReason) {
    if (this.decision.ok) throw new Error(`expected ${reason}, but the command was accepted with ${this.decision.events.length} events`);
    expect(this.decision.error.reason).toBe(reason);
    expect(this.decision.error.message.length).toBeGreaterThan(0);
    return this.decision.error;
  }

  private accepted() {
    if (!this.decision.ok) throw new Error(`expected acceptance, got ${this.decision.error.reason}: ${this.decision.error.message}`);
    // What decide produced must fold cleanly on top of the history it saw.
    let state = foldTrace(TRACE, this.history);
    for (const event of this.decision.events) state = evolveTrace(state, event);
    expect(state.version).toBe(this.history.length + this.decision.events.length);
    return this.decision;
  }
}

function asJson(event: TraceEventCase) {
  return toJson(TraceEventSchema, create(TraceEventSchema, { event }));
}
