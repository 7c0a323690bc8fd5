// A writer's latency while other work runs (a retention pass, say): `once` made
// over and over, one after another, each timed, until the work ends.

import { ms, num } from "./bench-env.js";
import { percentile } from "./stats.js";

/** The latencies of `once` (ms), made back to back while `work` runs. */
export async function latenciesDuring(once: () => Promise<unknown>, work: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  let done = false;
  const loop = (async () => {
    while (!done) {
      const t0 = performance.now();
      await once();
      samples.push(performance.now() - t0);
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await loop;
  }
  return samples;
}

/** A markdown row: label, count, p50, p99, max. */
export function latencyRow(label: string, samples: readonly number[]): string {
  return `| ${label} | ${num(samples.length)} | ${ms(percentile(samples, 50))} | ${ms(percentile(samples, 99))} | ${ms(Math.max(...samples))} |`;
}
