import { describe, expect, it } from "vitest";
import { monitoringConfig } from "./monitoring-config.js";
import { callEnded, calls, callStarted, s, spanIdOf, T0, tick, traceIdOf } from "./testing/monitoring-fixtures.js";
import { given } from "./testing/monitoring-specification.js";

// Ten-second buckets: T0 is 10 ms before a bucket boundary (NOW is a whole
// second), so traffic from BUCKET on stays in one bucket for a while.
const BUCKET = T0 + s(0.01);
const ms = 1_000_000n;

/** Call n, started after the history's calls, still running. */
const running = (n: number, fields: { name?: string } = {}) => callStarted(n, { start: BUCKET + s(1), ...fields });
/** Call n ends 1 ms later. */
const ends = (n: number, error = false) => callEnded(n, { start: BUCKET + s(1), end: BUCKET + s(1) + ms, error })[0]!;

describe("error rate: a real denominator and a minimum sample size", () => {
  it("below the minimum sample size even all-errors decides nothing", () => {
    given([...calls(18, { from: BUCKET, errors: 18 }), ...running(19)]).when(ends(19, true)).thenNothing();
  });

  it("the errored span that takes the rate above the threshold raises it for its service and its operation", () => {
    const [service, operation] = given([...calls(19, { from: BUCKET, errors: 2 }), ...running(20)])
      .when(ends(20, true))
      .then([
        {
          type: "AlertRaised",
          alertId: `error_rate:service:payments:${traceIdOf(20)}:${spanIdOf(20)}`,
          kind: "error_rate",
          subject: { type: "service", service: "payments" },
          at: BUCKET + s(1) + ms,
          value: 3 / 20,
          threshold: 0.1,
          unit: "ratio",
          samples: 20,
          errors: 3,
          exemplar: { traceId: traceIdOf(20), spanId: spanIdOf(20) },
        },
        {
          type: "AlertRaised",
          alertId: `error_rate:operation:payments:charge%20card:${traceIdOf(20)}:${spanIdOf(20)}`,
          kind: "error_rate",
          subject: { type: "operation", service: "payments", operation: "charge card" },
          value: 3 / 20,
        },
      ]);
    expect(service).toMatchObject({ message: "error rate of payments is 15% (3 of 20 spans in 60 s), above 10%" });
    expect(operation).toMatchObject({ message: 'error rate of "charge card" of payments is 15% (3 of 20 spans in 60 s), above 10%' });
  });

  it("a span renamed by its end counts for the operation of its final name", () => {
    // Every call starts as "charge card" and learns its card as it ends.
    const visa = "charge card (visa)";
    const renamedEnd = callEnded(20, { start: BUCKET + s(1), end: BUCKET + s(1) + ms, error: true, renamedTo: visa })[0]!;
    given([...calls(19, { from: BUCKET, errors: 2, renamedTo: visa }), ...running(20)])
      .when(renamedEnd)
      .then([
        { type: "AlertRaised", kind: "error_rate", subject: { type: "service", service: "payments" }, value: 3 / 20 },
        { type: "AlertRaised", kind: "error_rate", subject: { type: "operation", service: "payments", operation: visa }, value: 3 / 20, samples: 20 },
      ]);
  });

  it("at exactly the threshold nothing is raised: the rule is 'above'", () => {
    given([...calls(19, { from: BUCKET, errors: 1 }), ...running(20)]).when(ends(20, true)).thenNothing();
  });

  it("a successful span never raises it, even over the threshold: an errored span names the alert", () => {
    given([...calls(19, { from: BUCKET, errors: 5 }), ...running(20)]).when(ends(20)).thenNothing();
  });

  it("the minimum sample size is configurable", () => {
    const config = monitoringConfig({ errorRate: { minSamples: 5 } });
    given([...calls(4, { from: BUCKET }), ...running(5)], config)
      .when(ends(5, true))
      .then([{ type: "AlertRaised", kind: "error_rate", samples: 5, errors: 1 }, { type: "AlertRaised", kind: "error_rate" }]);
  });
});

describe("error rate: raised once, resolved when it drops", () => {
  // 5 errors in 20 (25%): raised by call 20.
  const raised = calls(20, { from: BUCKET, errors: 5 });

  it("further errors while it is open raise nothing", () => {
    given([...raised, ...running(21)]).when(ends(21, true)).thenNothing();
  });

  it("the span that brings the rate down to the threshold resolves it, for the service and the operation", () => {
    // 29 more successes, then this one: 5 in 50 (10%).
    given([...raised, ...calls(29, { from: BUCKET + s(0.5), first: 21 }), ...running(50)])
      .when(ends(50))
      .then([
        { type: "AlertResolved", kind: "error_rate", subject: { type: "service" }, at: BUCKET + s(1) + ms, reason: "below_threshold", value: 0.1, unit: "ratio" },
        { type: "AlertResolved", kind: "error_rate", subject: { type: "operation" }, reason: "below_threshold" },
      ]);
  });

  it("with a lower resolve level it stays open in between (hysteresis)", () => {
    const config = monitoringConfig({ errorRate: { resolveAt: 0.05 } });
    given([...raised, ...calls(29, { from: BUCKET + s(0.5), first: 21 }), ...running(50)], config)
      .when(ends(50))
      .thenNothing();
  });

  it("once its spans leave the window it resolves at that bucket boundary, whenever the tick comes", () => {
    // Every sample is in the bucket that begins at BUCKET, and the window is six buckets.
    const expected = [
      { type: "AlertResolved", kind: "error_rate", subject: { type: "service" }, at: BUCKET + s(60), reason: "insufficient_samples", value: 0 },
      { type: "AlertResolved", kind: "error_rate", subject: { type: "operation" }, at: BUCKET + s(60), reason: "insufficient_samples" },
    ] as const;
    given(raised).when(tick(BUCKET + s(60.5))).then(expected);
    given(raised).when(tick(BUCKET + s(3600))).then(expected);
    given([...raised, tick(BUCKET + s(30))]).when(tick(BUCKET + s(61))).then(expected);
  });

  it("a tick while its spans are still in the window resolves nothing", () => {
    given(raised).when(tick(BUCKET + s(59.9))).thenNothing();
  });

  it("with no tick in a quiet spell past the retention, the next start of a span of the operation resolves its alert as the tick would have", () => {
    const later = BUCKET + s(60) + monitoringConfig().statsRetentionNs + s(5);
    const [service, operation] = given(raised).when(tick(later)).then([
      { type: "AlertResolved", subject: { type: "service" }, at: BUCKET + s(60), reason: "insufficient_samples" },
      { type: "AlertResolved", subject: { type: "operation" }, at: BUCKET + s(60), reason: "insufficient_samples" },
    ]);
    // The start forgets the operation's statistics (a tick would have), so it resolves what was open on them first.
    const [began, start] = callStarted(99, { start: later });
    expect(given([...raised, began!]).when(start!).then([{ type: "AlertResolved", subject: { type: "operation" } }])).toEqual([operation]);
    // The service's is found by the span's end, the same.
    expect(given([...raised, began!, start!]).when(callEnded(99, { start: later, end: later + ms })[0]!).then([{ type: "AlertResolved", subject: { type: "service" } }])).toEqual([service]);
  });

  it("the next span finds a resolution no tick saw, dated at the boundary, and its error cannot raise alone", () => {
    given([...raised, ...callStarted(99, { start: BUCKET + s(70) })])
      .when(callEnded(99, { start: BUCKET + s(70), end: BUCKET + s(71), error: true })[0]!)
      .then([
        { type: "AlertResolved", subject: { type: "service" }, at: BUCKET + s(60), reason: "insufficient_samples" },
        { type: "AlertResolved", subject: { type: "operation" }, at: BUCKET + s(60), reason: "insufficient_samples" },
      ]);
  });
});

describe("error rate: per service and per operation", () => {
  it("errors of one operation raise for it, not for its sibling, nor for the service if its rate stays low", () => {
    const history = [...calls(30, { from: BUCKET, name: "refund card", first: 100 }), ...calls(19, { from: BUCKET + s(0.5), errors: 2, first: 200 }), ...running(300)];
    // The service: 3 errors in 50 (6%); "charge card": 3 in 20 (15%).
    given(history)
      .when(ends(300, true))
      .then([{ type: "AlertRaised", kind: "error_rate", subject: { type: "operation", operation: "charge card" }, samples: 20, errors: 3 }]);
  });

  it("a service is judged over all its operations", () => {
    const history = [...calls(10, { from: BUCKET, name: "refund card", errors: 1, first: 100 }), ...calls(9, { from: BUCKET + s(0.5), errors: 1, first: 200 }), ...running(300)];
    // The service: 3 errors in 20 (15%); "charge card": 2 in 10, too few to judge.
    given(history)
      .when(ends(300, true))
      .then([{ type: "AlertRaised", kind: "error_rate", subject: { type: "service", service: "payments" }, samples: 20, errors: 3 }]);
  });
});

describe("error rate: a window of 60 s, six buckets", () => {
  // 19 errored calls in the bucket that begins at BUCKET: one short of the minimum sample size.
  const errored = calls(19, { from: BUCKET, errors: 19 });
  const failsAt = (start: bigint) => given([...errored, ...callStarted(20, { start })]).when(callEnded(20, { start, end: start + ms, error: true })[0]!);

  it("holds the span's bucket and the five before it: an error five buckets later is judged with those 19", () => {
    failsAt(BUCKET + s(50)).then([
      { type: "AlertRaised", kind: "error_rate", subject: { type: "service" }, samples: 20, errors: 20 },
      { type: "AlertRaised", kind: "error_rate", subject: { type: "operation" }, samples: 20, errors: 20 },
    ]);
  });

  it("not the bucket one window before: an error six buckets later is judged alone, too few to decide anything", () => {
    failsAt(BUCKET + s(60)).thenNothing();
  });
});
