import { describe, expect, it } from "vitest";
import { ROOT } from "../testing/trace-fixtures.js";
import { activeSpans } from "./active-spans.js";
import { boundedText, MAX_MONITORED_TEXT_BYTES } from "./bounded-text.js";
import { monitoringConfig } from "./monitoring-config.js";
import type { AlertRaised } from "./monitoring-events.js";
import { calls, completed, ended, errored, s, started, T0, tick, traceBegan } from "./testing/monitoring-fixtures.js";
import { run } from "./testing/monitoring-specification.js";

const bytes = (text: string) => Buffer.byteLength(text);
const LONG_NAME = "n".repeat(2_100_000);
const LONG_SERVICE = "s".repeat(50_000);

describe("boundedText", () => {
  it("keeps text up to 1,024 bytes as it is, U+0000 included", () => {
    expect(boundedText("")).toBe("");
    expect(boundedText("POST /checkout\u0000")).toBe("POST /checkout\u0000");
    const full = "é".repeat(512);
    expect(bytes(full)).toBe(1024);
    expect(boundedText(full)).toBe(full);
  });

  it("cuts longer text to its first 1,024 bytes, never inside a character", () => {
    expect(boundedText("x".repeat(5000))).toBe("x".repeat(1024));
    expect(boundedText("é".repeat(513))).toBe("é".repeat(512));
    // 3-byte characters: 341 of them (1,023 bytes), the 342nd would pass the limit.
    expect(boundedText("€".repeat(400))).toBe("€".repeat(341));
    expect(boundedText(`a${"😀".repeat(300)}`)).toBe(`a${"😀".repeat(255)}`);
    for (const text of [LONG_NAME, "é".repeat(9999), `ab${"😀".repeat(999)}`]) expect(bytes(boundedText(text))).toBeLessThanOrEqual(MAX_MONITORED_TEXT_BYTES);
  });
});

describe("the saga keeps names by their first 1,024 bytes", () => {
  it("a running span with a 2.1 MB name is listed, and alerted as slow, by its name cut", () => {
    const { state, outputs } = run([traceBegan({ service: LONG_SERVICE }), started(ROOT, { service: LONG_SERVICE, name: LONG_NAME }), tick(T0 + s(6))]);
    const [view] = activeSpans(state, T0 + s(6));
    expect(view).toMatchObject({ service: "s".repeat(1024), name: "n".repeat(1024) });
    const [raised] = outputs as AlertRaised[];
    expect(raised).toMatchObject({ kind: "slow_span", subject: { service: "s".repeat(1024), operation: "n".repeat(1024) } });
    // Before, the name was in the alert twice (subject and message): 4.2 MB, past what clients take.
    expect(bytes(raised!.message)).toBeLessThan(2 * 1024 + 100);
  });

  it("an override still matches a name under the cut", () => {
    const config = monitoringConfig({ slowSpan: { byOperation: { checkout: { "POST /checkout": s(60) } } } });
    expect(run([traceBegan(), started(ROOT), tick(T0 + s(6))], config).outputs).toEqual([]);
  });

  it("the operation of a long name is one operation: its error-rate alert is raised once, and its subject finds it again", () => {
    const config = monitoringConfig({ errorRate: { minSamples: 5 } });
    const { state, outputs } = run(calls(12, { from: T0, name: LONG_NAME, service: LONG_SERVICE, errors: 8 }), config);
    const raised = outputs.filter((o): o is AlertRaised => o.type === "AlertRaised");
    expect(raised.map((a) => a.subject.type).sort()).toEqual(["operation", "service"]);
    for (const alert of raised) {
      expect(alert.subject).toMatchObject({ service: "s".repeat(1024) });
      expect(bytes(alert.message)).toBeLessThan(2 * 1024 + 200);
      expect(alert.alertId.length).toBeLessThan(2000);
    }
    expect([...state.operations.values()].map((op) => [op.operation, op.errorAlertId !== undefined])).toEqual([["n".repeat(1024), true]]);
  });

  it("a span renamed at its end to a 2.1 MB name: its operation, its trace's and a slow-trace alert's are that name cut", () => {
    const renamed = [traceBegan(), started(ROOT), ended(ROOT, { end: T0 + s(4), renamedTo: LONG_NAME })];
    const { state } = run(renamed);
    expect([...state.traces.values()].map((trace) => trace.operation)).toEqual(["n".repeat(1024)]);
    const operations = [...state.operations.values()].map((op) => op.operation);
    expect(operations).toContain("n".repeat(1024));
    for (const operation of operations) expect(bytes(operation)).toBeLessThanOrEqual(MAX_MONITORED_TEXT_BYTES);
    for (const key of state.operations.keys()) expect(bytes(key)).toBeLessThanOrEqual(bytes("checkout\u0000") + MAX_MONITORED_TEXT_BYTES);
    // Completed past the slow-trace threshold: raised at completion, named by the trace's operation.
    const [raised] = run([...renamed, completed({ end: T0 + s(11) })]).outputs as AlertRaised[];
    expect(raised).toMatchObject({ kind: "slow_trace", subject: { type: "trace", operation: "n".repeat(1024) } });
    expect(bytes(raised!.message)).toBeLessThan(2 * 1024 + 200);
  });

  it("a critical error's type, id and message are kept by their first 1,024 bytes too", () => {
    const config = monitoringConfig({ criticalErrorTypes: ["OutOfMemory"] });
    const longId = "i".repeat(3000);
    const { outputs } = run([traceBegan(), started(ROOT, { name: LONG_NAME }), errored(ROOT, { time: T0 + s(1), errorType: "OutOfMemory", errorId: longId, message: "m".repeat(3_000_000) })], config);
    const [raised] = outputs as Extract<AlertRaised, { kind: "critical_error" }>[];
    expect(raised).toMatchObject({ kind: "critical_error", errorType: "OutOfMemory", errorId: "i".repeat(1024), subject: { operation: "n".repeat(1024) } });
    expect(bytes(raised!.message)).toBeLessThan(2 * 1024 + 200);
  });
});
