import { create } from "@bufbuild/protobuf";
import { TraceCompletedSchema } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { samplingDecisions } from "../../test/support/sampling-decisions.js";
import { sampledByTraceId, tailSamplingDecision, type TailSamplingPolicy } from "./tail-sampling.js";

/** A trace id whose last 7 bytes (its randomness) are `randomness`. */
function traceIdWith(randomness: bigint): Uint8Array {
  const id = new Uint8Array(16).fill(0xab, 0, 9);
  for (let i = 15; i >= 9; i--) {
    id[i] = Number(randomness & 0xffn);
    randomness >>= 8n;
  }
  return id;
}

const HALF = 1n << 55n;
const policy: TailSamplingPolicy = { rate: 0.5, keepErrors: true, slowTraceMs: 1000 };
const completed = (fields: { errorCount?: number; orphanedSpanCount?: number; durationNano?: bigint; randomness?: bigint }) =>
  create(TraceCompletedSchema, {
    traceId: traceIdWith(fields.randomness ?? 0n),
    errorCount: fields.errorCount ?? 0,
    orphanedSpanCount: fields.orphanedSpanCount ?? 0,
    durationNano: fields.durationNano ?? 1_000_000n,
  });

describe("tail sampling", () => {
  // The decisions the SDK and the example services in Go, Python and Java are held to: export at a
  // rate keeps exactly the traces a head sampler at that rate keeps.
  it("keeps the traces a head sampler at the same rate keeps (examples/testdata/sdk-sampling-decisions.txt)", () => {
    const decisions = samplingDecisions();
    expect(decisions).toHaveLength(85);
    for (const { line, rate, traceId, sampled } of decisions) expect(sampledByTraceId(Buffer.from(traceId, "hex"), rate), line).toBe(sampled);
  });

  it("keeps a trace when its randomness reaches the threshold (1 - rate) * 2^56", () => {
    expect(sampledByTraceId(traceIdWith(HALF), 0.5)).toBe(true);
    expect(sampledByTraceId(traceIdWith(HALF - 1n), 0.5)).toBe(false);
    expect(sampledByTraceId(traceIdWith((1n << 56n) - 1n), 0.001)).toBe(true);
  });

  it("keeps every trace at rate 1 and none at rate 0", () => {
    expect(sampledByTraceId(traceIdWith(0n), 1)).toBe(true);
    expect(sampledByTraceId(traceIdWith((1n << 56n) - 1n), 0)).toBe(false);
  });

  it("looks only at the last 7 bytes, so the decision is the trace id's alone", () => {
    const a = traceIdWith(HALF + 5n);
    const b = a.slice();
    b[0] = 0x01;
    b[8] = 0x02;
    expect(sampledByTraceId(a, 0.5)).toBe(sampledByTraceId(b, 0.5));
  });

  it("always keeps errors and orphans, then slow traces, then samples the rest", () => {
    expect(tailSamplingDecision(completed({ errorCount: 1 }), policy)).toBe("error");
    expect(tailSamplingDecision(completed({ orphanedSpanCount: 1 }), policy)).toBe("error");
    expect(tailSamplingDecision(completed({ durationNano: 1_000_000_000n }), policy)).toBe("slow");
    expect(tailSamplingDecision(completed({ durationNano: 999_999_999n }), policy)).toBe("dropped");
    expect(tailSamplingDecision(completed({ randomness: HALF }), policy)).toBe("sampled");
  });

  it("samples errors and slow traces like the rest when those rules are off", () => {
    const off = { rate: 0, keepErrors: false, slowTraceMs: 0 };
    expect(tailSamplingDecision(completed({ errorCount: 3, durationNano: 10n ** 12n }), off)).toBe("dropped");
  });
});
