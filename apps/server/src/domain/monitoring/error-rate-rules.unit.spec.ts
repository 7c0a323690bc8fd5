import { describe, expect, it } from "vitest";
import { monitoringConfig } from "./monitoring-config.js";
import { calls, ended, s, spanIdOf, started, T0, tick, TRACE } from "./testing/monitoring-fixtures.js";
import { given } from "./testing/monitoring-specification.js";

// Ten-second buckets: T0 is 10 ms before a bucket boundary (NOW is a whole
// second), so keep traffic inside one bucket by starting at BUCKET.
const BUCKET = T0 + s(0.01);
const afterCalls = (n: number) => BUCKET + BigInt(n) * 1_000_000n + 1_000_000n;

/** A span of the same operation started after `calls(...)`, still running. */
function next(n: number, fields: { service?: string; name?: string } = {}) {
  return started(spanIdOf(n), { start: BUCKET + s(1), ...fields });
}

describe("error rate: a real denominator and a minimum sample size", () => {
  it("below the minimum sample size even all-errors decides nothing", () => {
    given([...calls(18, { from: BUCKET, errors: 18 }), next(19)])
      .when(ended(spanIdOf(19), { end: BUCKET + s(2), error: true }))
      .thenNothing();
  });

  it("the errored span that takes the rate above the threshold raises it for its service and its operation", () => {
    const [service, operation] = given([...calls(19, { from: BUCKET, errors: 2 }), next(20)])
      .when(ended(spanIdOf(20), { end: BUCKET + s(2), error: true }))
      .then([
        {
          type: "AlertRaised",
          alertId: `error_rate:service:payments:${TRACE}:${spanIdOf(20)}`,
          kind: "error_rate",
          subject: { type: "service", service: "payments" },
          at: BUCKET + s(2),
          value: 3 / 20,
          threshold: 0.1,
          unit: "ratio",
          samples: 20,
          errors: 3,
          exemplar: { traceId: TRACE, spanId: spanIdOf(20) },
        },
        {
          type: "AlertRaised",
          alertId: `error_rate:operation:payments:charge%20card:${TRACE}:${spanIdOf(20)}`,
          kind: "error_rate",
          subject: { type: "operation", service: "payments", operation: "charge card" },
          value: 3 / 20,
        },
      ]);
    expect(service).toMatchObject({ message: "error rate of payments is 15% (3 of 20 spans in 1 min), above 10%" });
    expect(operation).toMatchObject({ message: 'error rate of "charge card" of payments is 15% (3 of 20 spans in 1 min), above 10%' });
  });

  it("at exactly the threshold nothing is raised: the rule is 'above'", () => {
    given([...calls(19, { from: BUCKET, errors: 1 }), next(20)])
      .when(ended(spanIdOf(20), { end: BUCKET + s(2), error: true }))
      .thenNothing();
  });

  it("a successful span never raises it, even over the threshold: an errored span names the alert", () => {
    given([...calls(19, { from: BUCKET, errors: 5 }), next(20)])
      .when(ended(spanIdOf(20), { end: BUCKET + s(2) }))
      .thenNothing();
  });
});

describe("error rate: raised once, resolved when it drops", () => {
  const raised = [...calls(20, { from: BUCKET, errors: 5 })];

  it("further errors while it is open raise nothing", () => {
    given([...raised, next(21)]).when(ended(spanIdOf(21), { end: BUCKET + s(2), error: true })).thenNothing();
  });

  it("the span that brings the rate down to the threshold resolves it, for the service and the operation", () => {
    // 5 errors in 20 (25%); 30 more successes make 5 in 50 (10%).
    const history = [...raised, ...calls(29, { from: afterCalls(20), firstSpan: 21 }), next(50)];
    given(history)
      .when(ended(spanIdOf(50), { end: BUCKET + s(3) }))
      .then([
        { type: "AlertResolved", kind: "error_rate", subject: { type: "service" }, at: BUCKET + s(3), reason: "below_threshold", value: 0.1, unit: "ratio" },
        { type: "AlertResolved", kind: "error_rate", subject: { type: "operation" }, reason: "below_threshold" },
      ]);
  });

  it("with a lower resolve level the alert stays open in between (hysteresis)", () => {
    const config = monitoringConfig({ errorRate: { resolveAt: 0.05 } });
    given([...raised, ...calls(29, { from: afterCalls(20), firstSpan: 21 }), next(50)], config)
      .when(ended(spanIdOf(50), { end: BUCKET + s(3) }))
      .thenNothing();
  });

  it("once the old buckets leave the window it resolves at that boundary, whenever the tick comes", () => {
    // All samples sit in the bucket starting at BUCKET; the window is six buckets.
    const expected = [{ type: "AlertResolved", kind: "error_rate", subject: { type: "service" }, at: BUCKET + s(60), reason: "insufficient_samples", value: 0 }, { type: "AlertResolved", subject: { type: "operation" }, at: BUCKET + s(60) }] as const;
    given(raised).when(tick(BUCKET + s(60.5))).then(expected);
    given(raised).when(tick(BUCKET + s(3600))).then(expected);
    given([...raised, tick(BUCKET + s(30))]).when(tick(BUCKET + s(61))).then(expected);
  });

  it("a tick inside the window resolves nothing", () => {
    given(raised).when(tick(BUCKET + s(59.9))).thenNothing();
  });

  it("the next span also finds a resolution the ticks missed, at the boundary, and may raise a new episode", () => {
    given([...raised, started(spanIdOf(99), { start: BUCKET + s(70) })])
      .when(ended(spanIdOf(99), { end: BUCKET + s(71), error: true }))
      .then([
        { type: "AlertResolved", subject: { type: "service" }, at: BUCKET + s(60), reason: "insufficient_samples" },
        { type: "AlertResolved", subject: { type: "operation" }, at: BUCKET + s(60), reason: "insufficient_samples" },
      ]);
  });
});

describe("error rate: per service and per operation", () => {
  it("errors of one operation raise for it and its service, not for a sibling operation", () => {
    const history = [
      ...calls(30, { from: BUCKET, name: "refund card", firstSpan: 100 }),
      ...calls(19, { from: BUCKET + s(1), errors: 2, firstSpan: 200 }),
      next(300),
    ];
    // The service has 49 spans and 3 errors (6%): below; the operation has 3 in 20 (15%).
    given(history)
      .when(ended(spanIdOf(300), { end: BUCKET + s(2), error: true }))
      .then([{ type: "AlertRaised", kind: "error_rate", subject: { type: "operation", operation: "charge card" }, samples: 20, errors: 3 }]);
  });

  it("a service is judged over all its operations", () => {
    const history = [
      ...calls(10, { from: BUCKET, name: "refund card", errors: 1, firstSpan: 100 }),
      ...calls(9, { from: BUCKET + s(1), errors: 1, firstSpan: 200 }),
      next(300),
    ];
    given(history)
      .when(ended(spanIdOf(300), { end: BUCKET + s(2), error: true }))
      .then([{ type: "AlertRaised", kind: "error_rate", subject: { type: "service", service: "payments" }, samples: 20, errors: 3 }]);
  });

  it("orphans count neither as calls nor as errors", () => {
    // Nothing here ends with a status, so there is nothing to judge.
    given([...calls(19, { from: BUCKET, errors: 19 })]).when(tick(BUCKET + s(5))).thenNothing();
  });
});
