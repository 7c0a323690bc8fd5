import { describe, expect, it } from "vitest";
import { NOW } from "../testing/trace-specification.js";
import { seededRandom } from "../testing/seeded-random.js";
import { handleMonitoringInput } from "./distributed-tracing-saga.js";
import { releasedBy } from "./error-rate-release.js";
import { countBuckets, newErrorRateWindow, recordEnded, releasingBucket, type ErrorCounts, type ErrorRateWindow } from "./error-rate-window.js";
import { monitoringConfig } from "./monitoring-config.js";
import { bucketOf, checkedBucket, initialMonitoringState } from "./monitoring-state.js";
import { simulate } from "./testing/monitoring-simulation.js";

/** releasingBucket as it was: the window counted afresh at every step. */
function releasingBucketByRecount(w: ErrorRateWindow, first: number, last: number, c: { minSamples: number; resolveAt: number }, out: ErrorCounts): number | undefined {
  const size = w.bucketOf.length;
  for (let b = first; b <= last; b++) {
    countBuckets(w, b - size + 1, b - 1, out);
    if (out.ended < c.minSamples || out.errored / out.ended <= c.resolveAt) return b;
  }
  return undefined;
}

describe("an open error-rate alert released by a bucket boundary: the answer kept is the one counted afresh", () => {
  it("random windows, spans and questions: releasingBucket (its counts too) and releasedBy answer as a recount does", () => {
    let questions = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const size = 1 + Math.floor(random() * 8);
      const c = { minSamples: Math.floor(random() * 4), resolveAt: random() * 0.6 };
      const w = newErrorRateWindow(size);
      let lastBucket = -1;
      let checked = -1;
      for (let step = 0; step < 200; step++) {
        const move = random();
        if (move < 0.3) {
          lastBucket = Math.max(lastBucket, checked) + Math.floor(random() * 3);
          recordEnded(w, lastBucket, random() < 0.5);
        } else if (move < 0.5) checked = Math.max(checked, lastBucket) + Math.floor(random() * 3);
        const first = Math.max(checked, lastBucket) + 1;
        const last = first - 1 + Math.floor(random() * (2 * size + 2));
        const expected = releasingBucketByRecount(w, first, last, c, { ended: 0, errored: 0 });
        const counts = { ended: 0, errored: 0 };
        const got = releasingBucket(w, first, last, c, counts);
        expect(got).toBe(expected);
        // The counts of the window at the bucket found, or at `last` when none.
        if (first <= last) expect(counts).toEqual(countBuckets(w, (got ?? last) - size + 1, (got ?? last) - 1, { ended: 0, errored: 0 }));
        expect(releasedBy(w, lastBucket, first, last, c)).toBe(expected !== undefined);
        questions++;
      }
    }
    expect(questions).toBe(200 * 200);
  });

  it("over a simulated load, for every statistic with an error-rate alert open after every input, releasedBy answers as a recount does", () => {
    const config = monitoringConfig({ errorRate: { windowNs: 60_000_000_000n, bucketNs: 5_000_000_000n, minSamples: 5 } });
    const load = simulate({ config, seed: 11, seconds: 240, drainSeconds: 120, tracesPerSecond: 20, start: NOW });
    const state = initialMonitoringState(config);
    let asked = 0;
    let released = 0;
    for (const input of load.inputs) {
      handleMonitoringInput(state, input);
      // A new name a little later, not yet given: what canLetGo would ask of each with an alert open.
      for (const later of [0n, 7_000_000_000n, 31_000_000_000n]) {
        const last = bucketOf(state, state.clock + later);
        for (const stats of [...state.services.values(), ...state.operations.values()]) {
          if (stats.errorAlertId === undefined) continue;
          const first = checkedBucket(stats, state) + 1;
          const expected = releasingBucketByRecount(stats.errors, first, last, config.errorRate, { ended: 0, errored: 0 }) !== undefined;
          expect(releasedBy(stats.errors, stats.lastBucket, first, last, config.errorRate)).toBe(expected);
          asked++;
          if (expected) released++;
        }
      }
    }
    expect(asked).toBeGreaterThan(1000);
    expect(released).toBeGreaterThan(0);
    expect(released).toBeLessThan(asked);
  });
});
