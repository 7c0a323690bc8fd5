// An operation's usual latency as an exponentially weighted mean and variance
// (Finch, "Incremental calculation of weighted mean and variance", 2009): O(1)
// memory and time per span, and it follows slow drifts, so a deploy that makes
// an operation permanently slower is flagged once and then becomes the norm.
// Until 1/alpha samples the weight is 1/n, the plain mean, so the first span
// does not dominate. Floating point, but the same samples in the same order
// give the same bits, which is all replay needs.

export interface LatencyBaseline {
  samples: number;
  meanNs: number;
  varianceNs2: number;
}

export function newLatencyBaseline(): LatencyBaseline {
  return { samples: 0, meanNs: 0, varianceNs2: 0 };
}

export function addLatencySample(b: LatencyBaseline, durationNs: number, alpha: number): void {
  b.samples++;
  const weight = Math.max(alpha, 1 / b.samples);
  const diff = durationNs - b.meanNs;
  const increment = weight * diff;
  b.meanNs += increment;
  b.varianceNs2 = (1 - weight) * (b.varianceNs2 + diff * increment);
}

/** mean + k * max(stddev, minStddev): durations above it are anomalous. */
export function anomalyThresholdNs(b: LatencyBaseline, k: number, minStddevNs: number): number {
  return b.meanNs + k * Math.max(Math.sqrt(b.varianceNs2), minStddevNs);
}
