// A writer's latency while other work runs (a retention pass, say): `once` made
// over and over, one after another, each timed, until the work ends.

import { ms, num, processTreeCpuSeconds } from "./bench-env.js";
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
function latencyRow(label: string, samples: readonly number[]): string {
  return `| ${label} | ${num(samples.length)} | ${ms(percentile(samples, 50))} | ${ms(percentile(samples, 99))} | ${ms(Math.max(...samples))} |`;
}

/** The writer's latencies with nothing else running and while the pass ran, as a markdown table of `writes` (ms). */
export function latencyTable(writes: string, baseline: readonly number[], during: readonly number[]): string[] {
  return [`| while | ${writes} | p50 | p99 | max |`, "|---|---|---|---|---|", latencyRow("nothing else (baseline, 3 s)", baseline), latencyRow("a retention pass runs", during)];
}

export interface PassUnderWrites {
  /** The pass's wall time. */
  readonly passMs: number;
  /** This process's CPU (the pass and the writer), microseconds. */
  readonly cpuUs: number;
  /** The PostgreSQL cluster's CPU, seconds (0 with an external database). */
  readonly postgresCpuSeconds: number;
  /** The writer's latencies meanwhile. */
  readonly latencies: number[];
}

/** Runs `pass` while `once` is made back to back; times the pass, the CPU it took and the writer's latencies. */
export async function passUnderWrites(postmasterPid: number | undefined, once: () => Promise<unknown>, pass: () => Promise<unknown>): Promise<PassUnderWrites> {
  const pgBefore = await processTreeCpuSeconds(postmasterPid);
  const cpuBefore = process.cpuUsage();
  let passMs = 0;
  const latencies = await latenciesDuring(once, async () => {
    const t0 = performance.now();
    await pass();
    passMs = performance.now() - t0;
  });
  const cpu = process.cpuUsage(cpuBefore);
  return { passMs, cpuUs: cpu.user + cpu.system, postgresCpuSeconds: (await processTreeCpuSeconds(postmasterPid)) - pgBefore, latencies };
}
