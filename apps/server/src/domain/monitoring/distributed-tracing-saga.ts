// The DistributedTracingSaga as an Emmett-style workflow: decide, evolve and
// initialState, plus the one step a runner repeats for each input.

import type { MonitoringConfig } from "./monitoring-config.js";
import { decideMonitoring } from "./monitoring-decide.js";
import type { MonitoringInput } from "./monitoring-input.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import { evolveMonitoring, initialMonitoringState, type MonitoringState } from "./monitoring-state.js";

export interface DistributedTracingSaga {
  readonly decide: (input: MonitoringInput, state: MonitoringState) => readonly MonitoringOutput[];
  readonly evolve: (state: MonitoringState, message: MonitoringInput | MonitoringOutput) => MonitoringState;
  readonly initialState: () => MonitoringState;
}

export function distributedTracingSaga(config: MonitoringConfig): DistributedTracingSaga {
  return { decide: decideMonitoring, evolve: evolveMonitoring, initialState: () => initialMonitoringState(config) };
}

/**
 * decide, then fold the input, then fold what was decided: the order a replay
 * must repeat. Updates `state` in place and returns the outputs, which the
 * runner appends (events) or sends (commands).
 */
export function handleMonitoringInput(state: MonitoringState, input: MonitoringInput): readonly MonitoringOutput[] {
  const outputs = decideMonitoring(input, state);
  evolveMonitoring(state, input);
  // Indexed: for-of over the shared empty answer allocated an iterator per input.
  for (let i = 0; i < outputs.length; i++) evolveMonitoring(state, outputs[i]!);
  return outputs;
}
