// The image codec on states built by the saga itself: what it reads back equals what it
// wrote (Map orders and shared objects included), big collections are spread over many
// parts (the event loop turns between them), and bad bytes are refused, never half read.
// The configuration digest ignores the order settings were written in.

import { describe, expect, it } from "vitest";
import { handleMonitoringInput, initialMonitoringState, MAX_ERROR_RATE_BUCKETS, monitoringConfig, type MonitoringInput, type MonitoringState } from "../domain/monitoring/index.js";
import { ended, errored, s, spanIdOf, started, T0, tick, traceBegan, traceIdOf } from "../domain/monitoring/testing/monitoring-fixtures.js";
import { compressImage, decodeImage, encodeImage, SnapshotUnreadable } from "./saga-image-codec.js";
import { sagaConfigDigest, type SagaFoldImage } from "./saga-snapshot.js";
import { inOrder } from "./testing/in-order.js";

const SECOND = 1_000_000_000n;
const CONFIG = monitoringConfig({ slowSpan: { defaultNs: 2n * SECOND }, criticalErrorTypes: ["DataLoss"], errorRate: { minSamples: 2 } });

function fold(inputs: readonly MonitoringInput[]): MonitoringState {
  const state = initialMonitoringState(CONFIG);
  for (const input of inputs) handleMonitoringInput(state, input);
  return state;
}

function imageOf(state: MonitoringState): SagaFoldImage {
  const { config: _config, ...rest } = state;
  return { lastTick: 1n, nextTick: 2n, newestRecorded: 3n, state: rest };
}

/** Encodes with `partRecords` per part; also counts the parts (the points where the loop may turn). */
function encode(image: SagaFoldImage, partRecords: number): { bytes: Buffer[]; pauses: number } {
  const steps = encodeImage(image, partRecords);
  let pauses = 0;
  for (;;) {
    const next = steps.next();
    if (next.done) return { bytes: next.value, pauses };
    pauses++;
  }
}

/** Traces with running spans (slow), errors (error-rate alerts, critical errors on spans still running), traces begun elsewhere. */
function busyState(traces: number, spansPerTrace: number): MonitoringState {
  const inputs: MonitoringInput[] = [];
  for (let t = 1; t <= traces; t++) {
    const traceId = traceIdOf(t);
    inputs.push(traceBegan({ traceId, start: T0, remote: t % 5 === 0 }));
    for (let n = 1; n <= spansPerTrace; n++) {
      const spanId = spanIdOf(t * 100_000 + n);
      inputs.push(started(spanId, { traceId, start: T0 + BigInt(n) * 1_000_000n, service: `svc-${t % 3}`, name: `op-${n % 4}` }));
      if (n % 3 === 0) inputs.push(errored(spanId, { traceId, time: T0 + s(1), errorType: n % 6 === 3 ? "DataLoss" : "Timeout" }));
      if (n % 2 === 0) inputs.push(ended(spanId, { traceId, end: T0 + s(1), error: n % 3 === 0 }));
    }
  }
  inputs.push(tick(T0 + s(3)));
  return fold(inputs);
}

describe("the saga's image codec", () => {
  it("reads back the state it wrote: Map orders, shared alerts and traces, running spans", async () => {
    const state = busyState(40, 12);
    expect(state.liveTraces.size).toBeGreaterThan(0);
    expect(state.statisticAlerts.size).toBeGreaterThan(0);
    expect([...state.openAlerts.values()].map((a) => a.kind)).toEqual(expect.arrayContaining(["slow_span", "critical_error", "error_rate"]));
    for (const partRecords of [1, 7, 1000]) {
      const image = imageOf(state);
      const back = await decodeImage(await compressImage(encode(image, partRecords).bytes));
      expect(inOrder(back), `parts of ${partRecords}`).toStrictEqual(inOrder(image));
      for (const track of back.state.liveTraces) expect(back.state.traces.get(track.traceId)).toBe(track);
      for (const [id, alert] of back.state.statisticAlerts) expect(back.state.openAlerts.get(id)).toBe(alert);
    }
  });

  it("spreads one trace's running spans, and many operations, over parts of the given size", () => {
    const oneBigTrace = busyState(1, 5000);
    expect(oneBigTrace.traces.values().next().value!.running.size).toBeGreaterThan(2000);
    expect(encode(imageOf(oneBigTrace), 1000).pauses).toBeGreaterThanOrEqual(2);
    const manyOperations = fold(Array.from({ length: 3000 }, (_, n) => started(spanIdOf(n + 1), { traceId: traceIdOf(n + 1), start: T0, name: `GET /orders/${n}` })));
    expect(manyOperations.operations.size + manyOperations.traces.size).toBeGreaterThan(3000);
    expect(encode(imageOf(manyOperations), 1000).pauses).toBeGreaterThanOrEqual(3);
  });

  it("sizes parts by bytes too: operations whose error-rate windows hold the most buckets allowed", () => {
    // 1,000 s in 1 s buckets: three arrays of 1,000 numbers per service and operation.
    const widest = monitoringConfig({ errorRate: { windowNs: BigInt(MAX_ERROR_RATE_BUCKETS) * SECOND, bucketNs: SECOND } });
    const state = initialMonitoringState(widest);
    for (let n = 1; n <= 200; n++) {
      const traceId = traceIdOf(n);
      handleMonitoringInput(state, started(spanIdOf(n), { traceId, start: T0, name: `job ${n}` }));
      handleMonitoringInput(state, ended(spanIdOf(n), { traceId, end: T0 + s(1) }));
    }
    expect(state.operations.size).toBe(200);
    const chunks = encode(imageOf(state), 1000).bytes;
    const largest = Math.max(...chunks.map((c) => c.length));
    // One part of 1,000 such records would be over 10 MB; parts stay near 256 KiB.
    expect(largest).toBeLessThan(600 * 1024);
  });

  it("refuses bytes that are not a whole image of this server's state, changed ones too", async () => {
    const bytes = Buffer.concat(encode(imageOf(busyState(3, 4)), 5).bytes);
    await expect(decodeImage(await compressImage([bytes.subarray(0, bytes.length - 3)]))).rejects.toThrow(/ends inside a part|ends before its last part/);
    await expect(decodeImage(await compressImage([bytes, Buffer.from([0, 0, 0, 0])]))).rejects.toThrow(/bytes after its last part/);
    await expect(decodeImage(Buffer.from("not deflate"))).rejects.toBeInstanceOf(SnapshotUnreadable);
    // Changed bytes fail zlib's checksum rather than decode to another state.
    const compressed = await compressImage([bytes]);
    for (const at of [compressed.length - 1, Math.floor(compressed.length / 2)]) {
      const changed = Buffer.from(compressed);
      changed[at]! ^= 0x10;
      await expect(decodeImage(changed)).rejects.toBeInstanceOf(SnapshotUnreadable);
    }
    // A whole image of some other state is not this server's state.
    const other = { lastTick: 1n, nextTick: 2n, newestRecorded: 3n, state: { traces: new Map() } } as unknown as SagaFoldImage;
    await expect(decodeImage(await compressImage(encode(other, 5).bytes))).rejects.toThrow(/not those of this server's state/);
  });
});

describe("the saga's configuration digest", () => {
  it("is the same for the same settings in another order, and differs for other settings or tick spacing", () => {
    const a = monitoringConfig({ slowSpan: { byService: { a: 1n, b: 2n } }, criticalErrorTypes: ["X", "Y"] });
    const b = monitoringConfig({ slowSpan: { byService: { b: 2n, a: 1n } }, criticalErrorTypes: ["Y", "X"] });
    const c = monitoringConfig({ slowSpan: { byService: { a: 1n, b: 3n } }, criticalErrorTypes: ["X", "Y"] });
    expect(sagaConfigDigest(a, SECOND)).toBe(sagaConfigDigest(b, SECOND));
    expect(sagaConfigDigest(a, SECOND)).not.toBe(sagaConfigDigest(c, SECOND));
    expect(sagaConfigDigest(a, SECOND)).not.toBe(sagaConfigDigest(a, 2n * SECOND));
  });
});
