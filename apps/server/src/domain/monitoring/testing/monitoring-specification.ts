// given(inputs).when(input).then(outputs): each saga rule reads as the rule it
// checks (after Emmett's DeciderSpecification and workflow specs). `given`
// folds the history with the same step a runner takes; `then` also checks that
// decide left the state untouched and that evolve accepts what it decided.

import { expect } from "vitest";
import { handleMonitoringInput } from "../distributed-tracing-saga.js";
import { monitoringConfig, type MonitoringConfig } from "../monitoring-config.js";
import { decideMonitoring } from "../monitoring-decide.js";
import type { MonitoringInput } from "../monitoring-input.js";
import type { MonitoringOutput } from "../monitoring-output.js";
import type { MonitoringEvent } from "../monitoring-events.js";
import { evolveMonitoring, initialMonitoringState, type MonitoringState } from "../monitoring-state.js";
import { adoptStoredAlerts, foldStoredAlert } from "../stored-alerts.js";

type DeepPartial<T> = T extends bigint | string | number | boolean ? T : { readonly [K in keyof T]?: DeepPartial<T[K]> };
/** An output matched on the fields given; its type is always given. */
type ExpectedOutput = DeepPartial<MonitoringOutput> & { readonly type: MonitoringOutput["type"] };

/** Folds `inputs` from the initial state; returns the state and everything decided on the way. */
export function run(inputs: readonly MonitoringInput[], config: MonitoringConfig = monitoringConfig()): { state: MonitoringState; outputs: MonitoringOutput[] } {
  const state = initialMonitoringState(config);
  const outputs: MonitoringOutput[] = [];
  for (const input of inputs) outputs.push(...handleMonitoringInput(state, input));
  return { state, outputs };
}

export function given(history: readonly MonitoringInput[], config: MonitoringConfig = monitoringConfig()) {
  return whenOn(() => run(history, config).state);
}

/**
 * A replica rebuilt on taking the lease (saga-runner.ts): `history` replayed up to the
 * checkpoint, then the `stored` alert events of the monitoring stream folded over it
 * (stored-alerts.ts); `caughtUp` when it has also read the log to its end since.
 */
export function givenRebuilt(
  history: readonly MonitoringInput[],
  stored: readonly MonitoringEvent[],
  options: { readonly config?: MonitoringConfig; readonly caughtUp?: boolean } = {},
) {
  return whenOn(() => {
    const { state } = run(history, options.config ?? monitoringConfig());
    for (const event of stored) foldStoredAlert(state, event);
    if (options.caughtUp) adoptStoredAlerts(state);
    return state;
  });
}

function whenOn(build: () => MonitoringState) {
  return {
    when(input: MonitoringInput) {
      const state = build();
      const before = structuredClone(state);
      const outputs = decideMonitoring(input, state);
      expect(state, "decide must not change the state").toEqual(before);
      evolveMonitoring(state, input);
      for (const output of outputs) evolveMonitoring(state, output);
      return new Then(outputs, state);
    },
  };
}

class Then {
  constructor(
    readonly outputs: readonly MonitoringOutput[],
    /** The state after the input and the outputs were folded. */
    readonly state: MonitoringState,
  ) {}

  /** Decides exactly these outputs, in this order; each is matched on the fields given. */
  then(expected: readonly ExpectedOutput[]): readonly MonitoringOutput[] {
    const withKind = (i: number) => expected[i] !== undefined && "kind" in (expected[i] as object);
    expect(this.outputs.map((o, i) => describe(o, withKind(i))), "outputs").toEqual(expected.map((e, i) => describe(e as MonitoringOutput, withKind(i))));
    expected.forEach((e, i) => expect(this.outputs[i]).toMatchObject(e as object));
    return this.outputs;
  }

  thenNothing(): void {
    expect(this.outputs.map((o) => describe(o, true))).toEqual([]);
  }
}

/** A short name for an output, so a wrong count or order fails with a readable diff. */
function describe(o: MonitoringOutput, withKind: boolean): string {
  switch (o.type) {
    case "AlertRaised":
    case "AlertResolved":
      return withKind ? `${o.type} ${o.kind}` : o.type;
    case "CloseOrphanedSpan":
    case "CloseTrace":
      return o.type;
  }
}
