// Small statistics for benchmark scripts: percentiles of latency samples, the
// median of rounds, and a rate from a count and a duration.

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** The middle value (the mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function rate(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

export function fmt(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/** Runs fn repeatedly for about `ms`, after `warmupMs` of warm-up; returns the iterations and time. */
export function timeLoop(fn: () => void, ms = 1500, warmupMs = 300): { iterations: number; ms: number } {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) fn();
  let iterations = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    iterations++;
    now = performance.now();
  }
  return { iterations, ms: now - start };
}
