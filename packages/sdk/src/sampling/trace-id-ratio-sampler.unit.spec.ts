// Head sampling: decided by the trace id alone (so every service agrees),
// parent-based, and free for unsampled spans.

import { describe, expect, it } from "vitest";
import { samplingDecisions } from "../../../../apps/server/test/support/sampling-decisions.js";
import { MemorySink } from "../../test/support/memory-sink.js";
import { resolveTracerConfig } from "../config/tracer-config.js";
import { newTraceId } from "../ids/random-ids.js";
import { Tracer } from "../trace/tracer.js";
import { traceIdRatioSampler } from "./trace-id-ratio-sampler.js";

function tracer(sampleRate: number): { tracer: Tracer; sink: MemorySink } {
  const sink = new MemorySink();
  return { tracer: new Tracer(resolveTracerConfig({ serviceName: "s", sampleRate, env: {} }), sink), sink };
}

describe("traceIdRatioSampler", () => {
  it("keeps the ids whose last 7 bytes are at least 2^56 - rate * 2^56 (OpenTelemetry's threshold)", () => {
    const half = traceIdRatioSampler(0.5);
    expect(half.shouldSample("ffffffffffffffffff7fffffffffffff")).toBe(false); // 2^55 - 1
    expect(half.shouldSample("00000000000000000080000000000000")).toBe(true); // 2^55
    expect(half.shouldSample("0000000000000000ff00000000000000")).toBe(false); // the 8th byte from the end is not read
    const quarter = traceIdRatioSampler(0.25);
    expect(quarter.shouldSample("000000000000000000bfffffffffffff")).toBe(false);
    expect(quarter.shouldSample("000000000000000000c0000000000000")).toBe(true);
  });

  it("decides as the shared decisions the server's export and the example services are held to", () => {
    const decisions = samplingDecisions();
    expect(decisions).toHaveLength(85);
    for (const { line, rate, traceId, sampled } of decisions) expect(traceIdRatioSampler(rate).shouldSample(traceId), line).toBe(sampled);
  });

  it("keeps every trace a lower rate keeps", () => {
    const ids = Array.from({ length: 5_000 }, () => newTraceId());
    const rates = [0.01, 0.1, 0.3, 0.5, 0.9];
    for (let i = 1; i < rates.length; i++) {
      const lower = traceIdRatioSampler(rates[i - 1]!);
      const higher = traceIdRatioSampler(rates[i]!);
      for (const id of ids) if (lower.shouldSample(id)) expect(higher.shouldSample(id)).toBe(true);
    }
  });

  it("always and never at the ends of the range", () => {
    expect(traceIdRatioSampler(1).shouldSample("0000000000000000ffffffffffffffff")).toBe(true);
    expect(traceIdRatioSampler(0).shouldSample("00000000000000000000000000000001")).toBe(false);
  });

  it("gives two tracers with the same rate the same decision for every trace id", () => {
    const first = traceIdRatioSampler(0.3);
    const second = traceIdRatioSampler(0.3);
    const ids = Array.from({ length: 10_000 }, () => newTraceId());
    const decisions = ids.map((id) => first.shouldSample(id));
    expect(ids.map((id) => second.shouldSample(id))).toEqual(decisions);
    const fraction = decisions.filter(Boolean).length / ids.length;
    expect(fraction).toBeGreaterThan(0.25);
    expect(fraction).toBeLessThan(0.35);
  });
});

describe("a tracer's sampling", () => {
  it("records exactly the new traces the id-based decision picks", () => {
    const { tracer: t, sink } = tracer(0.5);
    const decide = traceIdRatioSampler(0.5);
    for (let i = 0; i < 500; i++) {
      const span = t.startSpan("root");
      expect(span.isRecording()).toBe(decide.shouldSample(span.spanContext().traceId));
      span.end();
    }
    const recorded = sink.ofType("startSpan").length;
    expect(recorded).toBeGreaterThan(150);
    expect(recorded).toBeLessThan(350);
  });

  it("lets the incoming sampled flag win over the rate", () => {
    const never = tracer(0);
    const sampledParent = { spanContext: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1, isRemote: true } };
    expect(never.tracer.startSpan("child", { parent: sampledParent }).isRecording()).toBe(true);
    const always = tracer(1);
    const unsampledParent = { spanContext: { ...sampledParent.spanContext, traceFlags: 0 } };
    expect(always.tracer.startSpan("child", { parent: unsampledParent }).isRecording()).toBe(false);
  });

  it("propagates unsampled spans (not sampled, own span id) without any command", () => {
    // Three checks run inside the callback: no command is also what a callback that never ran would give.
    expect.assertions(4);
    const { tracer: t, sink } = tracer(0);
    t.withSpan("unsampled", (span) => {
      const child = t.startSpan("child");
      expect(child.spanContext().traceId).toBe(span.spanContext().traceId);
      expect(child.spanContext().spanId).not.toBe(span.spanContext().spanId);
      // Not sampled; the trace id is still the SDK's random one (Level 2's flag, 02).
      expect(child.traceparent()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
      child.setAttribute("x", 1).end();
    });
    expect(sink.commands).toHaveLength(0);
  });
});
