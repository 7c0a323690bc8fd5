import { describe, expect, it } from "vitest";
import { CHILD, ROOT } from "../testing/trace-fixtures.js";
import { monitoringConfig } from "./monitoring-config.js";
import { ended, errored, orphaned, s, started, T0, traceBegan, TRACE } from "./testing/monitoring-fixtures.js";
import { decideMonitoring } from "./monitoring-decide.js";
import { evolveMonitoring } from "./monitoring-state.js";
import { given, run } from "./testing/monitoring-specification.js";

const config = monitoringConfig({ criticalErrorTypes: ["OutOfMemoryError", "DataCorruption"] });
const running = [traceBegan(), started(ROOT), started(CHILD, { parent: ROOT })];
const critical = { errorType: "OutOfMemoryError", errorId: "oom-1", time: T0 + s(1) };

describe("critical error types raise at once", () => {
  it("the first error of a critical type raises an alert: no window, no sample size", () => {
    const [raised] = given(running, config)
      .when(errored(CHILD, critical))
      .then([
        {
          type: "AlertRaised",
          alertId: `critical_error:${TRACE}:${CHILD}:oom-1`,
          kind: "critical_error",
          subject: { type: "span", traceId: TRACE, spanId: CHILD, service: "payments", operation: "charge card" },
          errorType: "OutOfMemoryError",
          errorId: "oom-1",
          at: T0 + s(1),
          value: 1,
          threshold: 1,
          unit: "count",
        },
      ]);
    expect(raised).toMatchObject({ message: 'critical error OutOfMemoryError in span "charge card" of payments: card declined' });
  });

  it("an error of another type decides nothing", () => {
    given(running, config).when(errored(CHILD, { time: T0 + s(1), errorType: "CardDeclined" })).thenNothing();
  });

  it("no type is critical unless configured", () => {
    given(running).when(errored(CHILD, critical)).thenNothing();
  });

  it("each critical error is an alert of its own", () => {
    given([...running, errored(CHILD, critical)], config)
      .when(errored(CHILD, { ...critical, errorId: "oom-2" }))
      .then([{ type: "AlertRaised", alertId: `critical_error:${TRACE}:${CHILD}:oom-2` }]);
  });

  it("its span's end resolves it", () => {
    given([...running, errored(CHILD, critical)], config)
      .when(ended(CHILD, { end: T0 + s(2), error: true }))
      .then([{ type: "AlertResolved", alertId: `critical_error:${TRACE}:${CHILD}:oom-1`, kind: "critical_error", at: T0 + s(2), reason: "span_ended", value: 2e9 }]);
  });

  it("its span's end resolves it once, even when its raise was folded twice (a rebuild folds the stored alert over a replay that raised it)", () => {
    const { state, outputs } = run([...running, errored(CHILD, critical)], config);
    const [raised] = outputs;
    expect(raised).toMatchObject({ type: "AlertRaised", kind: "critical_error" });
    evolveMonitoring(state, raised!);
    const resolved = decideMonitoring(ended(CHILD, { end: T0 + s(2), error: true }), state);
    expect(resolved.map((o) => [o.type, "alertId" in o ? o.alertId : ""])).toEqual([["AlertResolved", `critical_error:${TRACE}:${CHILD}:oom-1`]]);
  });

  it("its span's orphaning resolves it", () => {
    given([...running, errored(CHILD, critical)], config)
      .when(orphaned(CHILD, { start: T0, closed: T0 + s(300) }))
      .then([
        { type: "AlertRaised", kind: "slow_span" },
        { type: "AlertResolved", kind: "slow_span", reason: "span_orphaned" },
        { type: "AlertResolved", kind: "critical_error", reason: "span_orphaned", value: 300e9 },
      ]);
  });
});
