import { describe, expect, it } from "vitest";
import { BUSY, ProjectorLoop } from "./projector-loop.js";

/** A step that answers from a script, then 0 (caught up) for ever; `reached(n)` settles at its n-th call. */
function scripted(script: Array<number | Error>) {
  const calls: Array<number | string> = [];
  const waiting = new Map<number, () => void>();
  const step = async () => {
    const answer = script.shift() ?? 0;
    calls.push(answer instanceof Error ? answer.message : answer);
    waiting.get(calls.length)?.();
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const reached = (n: number) => new Promise<void>((resolve) => (calls.length >= n ? resolve() : waiting.set(n, resolve)));
  return { step, calls, reached };
}

/** An hour: a test ends only if a wake-up or stop cuts such a pause short. */
const HOUR = 3_600_000;

describe("ProjectorLoop", () => {
  it("catches up through slices, waiting out another projector's turn, and counts what it applied", async () => {
    const { step, calls } = scripted([5, BUSY, BUSY, 5, 2]);
    const loop = new ProjectorLoop({ step, batchSize: 5, idleMs: HOUR, minIntervalMs: 0 });
    expect(await loop.catchUp()).toBe(12);
    expect(calls).toEqual([5, BUSY, BUSY, 5, 2, 0]);
  });

  it("goes on at once after a full slice, rests after a partial one until woken, and a stop ends the rest", async () => {
    const { step, calls, reached } = scripted([3, 3, 1]);
    const loop = new ProjectorLoop({ step, batchSize: 3, idleMs: HOUR, minIntervalMs: 0 });
    loop.start();
    await reached(3);
    // The step answers at once: a loop that went on instead of resting would have stepped again by now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toEqual([3, 3, 1]);
    // Asleep by now (only promise jobs lie between the step and the sleep), so one wake-up is enough.
    loop.wake();
    await reached(4);
    await loop.stop();
    expect(calls).toEqual([3, 3, 1, 0]);
  });

  it("reports a failing step and tries again after a back-off", async () => {
    const errors: unknown[] = [];
    const { step, calls, reached } = scripted([new Error("database down")]);
    const loop = new ProjectorLoop({ step, batchSize: 10, idleMs: HOUR, minIntervalMs: 0, onError: (error) => errors.push(error) });
    loop.start();
    await reached(2);
    await loop.stop();
    expect(errors).toMatchObject([{ message: "database down" }]);
    expect(calls).toEqual(["database down", 0]);
  });
});
