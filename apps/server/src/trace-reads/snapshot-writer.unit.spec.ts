import { describe, expect, it } from "vitest";
import { SnapshotWriter } from "./snapshot-writer.js";
import { randomTraceEvents, TRACE } from "./testing/random-trace.js";
import { TraceViewState } from "./trace-view-state.js";
import type { ViewSnapshot, ViewStore } from "./view-store.js";

/** A store that records saves and can be held, so that offers pile up. */
function recordingStore() {
  const saved: Array<{ traceId: string; snapshot: ViewSnapshot }> = [];
  let release: () => void = () => {};
  let held = Promise.resolve();
  const store: ViewStore = {
    load: () => Promise.reject(new Error("not used")),
    save: async (traceId, snapshot) => {
      await held;
      if (snapshot.version === 13) throw new Error("disk full");
      saved.push({ traceId, snapshot });
    },
  };
  return { store, saved, hold: () => (held = new Promise((resolve) => (release = resolve))), release: () => release() };
}

const events = randomTraceEvents(8, 40);
const at = (version: number) => TraceViewState.empty(TRACE).apply(events.slice(0, version), BigInt(version));

describe("the snapshot writer", () => {
  it("writes each offered state once, after the offering call returns, as the state's snapshot", async () => {
    const { store, saved } = recordingStore();
    const writer = new SnapshotWriter(store);
    writer.offer(at(8));
    writer.offer(at(8));
    expect(saved).toHaveLength(0);
    await writer.idle();
    writer.offer(at(8));
    await writer.idle();
    expect(saved.map((s) => s.snapshot.version)).toEqual([8]);
    expect(saved[0]!.snapshot.view).toEqual(at(8).snapshotBytes());
    expect(saved[0]!.snapshot.recordedAt).toBe(8n);
  });

  it("drops offers beyond its queue, reports failed writes and goes on", async () => {
    const { store, saved, hold, release } = recordingStore();
    const errors: unknown[] = [];
    const writer = new SnapshotWriter(store, { maxPending: 2, onError: (error) => errors.push(error) });
    hold();
    writer.offer(at(12));
    await new Promise((resolve) => setImmediate(resolve)); // 12 is being written (held)
    for (const version of [13, 14, 15]) writer.offer(at(version));
    release();
    await writer.idle();
    expect(saved.map((s) => s.snapshot.version)).toEqual([12, 14]);
    expect(errors).toHaveLength(1);
  });

  it("writes nothing more once closed", async () => {
    const { store, saved } = recordingStore();
    const writer = new SnapshotWriter(store);
    writer.offer(at(5));
    await writer.close();
    writer.offer(at(6));
    await writer.idle();
    expect(saved).toHaveLength(0);
  });
});
