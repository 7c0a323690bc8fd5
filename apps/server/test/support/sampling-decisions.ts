// The head-sampling decisions every sampler of the project is held to (the SDK's, the
// export's, the example services'): examples/testdata/sdk-sampling-decisions.txt.

import { readFileSync } from "node:fs";

export interface SamplingDecision {
  readonly line: string;
  readonly rate: number;
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  readonly sampled: boolean;
}

export function samplingDecisions(): SamplingDecision[] {
  return readFileSync(new URL("../../../../examples/testdata/sdk-sampling-decisions.txt", import.meta.url), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => {
      const [rate, traceId, sampled] = line.split(" ");
      return { line, rate: Number(rate), traceId: traceId!, sampled: sampled === "true" };
    });
}
