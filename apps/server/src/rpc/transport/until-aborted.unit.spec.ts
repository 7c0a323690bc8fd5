import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { untilAborted } from "./until-aborted.js";

async function collect<T>(source: AsyncIterable<T>): Promise<{ values: T[]; error?: unknown }> {
  const values: T[] = [];
  try {
    for await (const value of source) values.push(value);
    return { values };
  } catch (error) {
    return { values, error };
  }
}

describe("untilAborted", () => {
  it("passes a stream through when nothing aborts", async () => {
    async function* three() {
      yield* [1, 2, 3];
    }
    expect(await collect(untilAborted(three(), new AbortController().signal))).toEqual({ values: [1, 2, 3] });
  });

  it("ends a stream stuck in an implementation that ignores its signal, and lets its finally run once it wakes", async () => {
    const abort = new AbortController();
    let wake: () => void = () => undefined;
    let finallyRan = false;
    async function* stuck() {
      try {
        yield 1;
        await new Promise<void>((resolve) => (wake = resolve));
        yield 2;
      } finally {
        finallyRan = true;
      }
    }
    const result = collect(untilAborted(stuck(), abort.signal));
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort("shutting down");
    expect(await result).toEqual({ values: [1], error: "shutting down" });
    expect(finallyRan).toBe(false);
    wake();
    await new Promise((resolve) => setImmediate(resolve));
    expect(finallyRan).toBe(true);
  });

  it("does not let a stream that returns quietly after the abort look complete", async () => {
    const abort = new AbortController();
    async function* polite(signal: AbortSignal) {
      yield 1;
      abort.abort("deadline");
      if (signal.aborted) return;
      yield 2;
    }
    expect(await collect(untilAborted(polite(abort.signal), abort.signal))).toEqual({ values: [1], error: "deadline" });
  });

  it("keeps nothing of the messages it has passed on while the stream goes on", async () => {
    // Before, each message's wait raced one promise of the abort, which kept a reaction per
    // message (and through it the message) until the stream ended, then ran them all at once.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const sent: Array<WeakRef<object>> = [];
    async function* live() {
      for (let i = 0; i < 2000; i++) {
        const message = { i, payload: new Uint8Array(256) };
        sent.push(new WeakRef(message));
        yield message;
      }
      await new Promise(() => undefined); // a watcher waiting for more
    }
    const abort = new AbortController();
    const stream = untilAborted(live(), abort.signal)[Symbol.asyncIterator]();
    for (let i = 0; i < 2000; i++) await stream.next();
    const waiting = stream.next();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const kept = sent.filter((ref) => ref.deref() !== undefined).length;
    abort.abort("client cancelled");
    await expect(waiting).rejects.toBe("client cancelled");
    expect(kept).toBeLessThan(5);
  });
});
