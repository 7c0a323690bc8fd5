import { describe, expect, it } from "vitest";
import { CHILD, REMOTE_PARENT, ROOT } from "../testing/trace-fixtures.js";
import { monitoringConfig } from "./monitoring-config.js";
import { completed, ended, orphaned, s, started, T0, tick, traceBegan, TRACE } from "./testing/monitoring-fixtures.js";
import { given, givenRebuilt } from "./testing/monitoring-specification.js";

const rootRunning = [traceBegan(), started(ROOT)];
const slowRoot = {
  type: "AlertRaised",
  alertId: `slow_span:${TRACE}:${ROOT}`,
  kind: "slow_span",
  subject: { type: "span", traceId: TRACE, spanId: ROOT, service: "checkout", operation: "POST /checkout" },
  at: T0 + s(5),
  value: 5e9,
  threshold: 5e9,
  unit: "ns",
} as const;

describe("slow span: flagged while it still runs", () => {
  it("a tick before the threshold decides nothing", () => {
    given(rootRunning).when(tick(T0 + s(5))).thenNothing();
  });

  it("the first tick past the threshold raises the alert, dated when the span became slow", () => {
    const [raised] = given(rootRunning).when(tick(T0 + s(5.3))).then([slowRoot]);
    expect(raised).toMatchObject({ message: 'span "POST /checkout" of checkout has run longer than 5 s' });
  });

  it("later ticks do not raise it again", () => {
    given([...rootRunning, tick(T0 + s(6))]).when(tick(T0 + s(7))).thenNothing();
  });

  it("its end resolves the alert with the final duration", () => {
    given([...rootRunning, tick(T0 + s(6))])
      .when(ended(ROOT, { end: T0 + s(8.25) }))
      .then([{ type: "AlertResolved", alertId: slowRoot.alertId, kind: "slow_span", at: T0 + s(8.25), reason: "span_ended", value: 8.25e9, unit: "ns" }]);
  });

  it("closing it as an orphan resolves the alert with how long it was open", () => {
    given([...rootRunning, tick(T0 + s(6))])
      .when(orphaned(ROOT, { start: T0, closed: T0 + s(300) }))
      .then([{ type: "AlertResolved", alertId: slowRoot.alertId, reason: "span_orphaned", value: 300e9 }]);
  });

  it("a span that was already slow when it ended, unseen by any tick, is raised and resolved at its end", () => {
    given(rootRunning)
      .when(ended(ROOT, { end: T0 + s(7) }))
      .then([slowRoot, { type: "AlertResolved", alertId: slowRoot.alertId, at: T0 + s(7), reason: "span_ended", value: 7e9 }]);
  });

  it("a span that ends within its threshold decides nothing", () => {
    given(rootRunning).when(ended(ROOT, { end: T0 + s(5) })).thenNothing();
  });

  it("each span is judged on its own", () => {
    given([...rootRunning, started(CHILD, { parent: ROOT, start: T0 + s(2) })])
      .when(tick(T0 + s(6)))
      .then([slowRoot]);
  });
});

describe("slow span: a start reported after the fact", () => {
  // Started at T0, reported 7 s later (a buffering client): past its 5 s threshold before the saga knew of it.
  const late = [traceBegan({ at: T0 + s(7) }), started(ROOT, { at: T0 + s(7) })];

  it("a tick right after the saga learned of it raises nothing: its end may be on its way as late", () => {
    given(late).when(tick(T0 + s(7.2))).thenNothing();
  });

  it("an end within its threshold, reported after the fact too, decides nothing", () => {
    given([...late, tick(T0 + s(7.2))])
      .when(ended(ROOT, { end: T0 + s(1), at: T0 + s(7.4) }))
      .thenNothing();
  });

  it("open for its threshold since the saga learned of it, it is raised while it runs, dated when it became slow", () => {
    given([...late, tick(T0 + s(11))]).when(tick(T0 + s(12.5))).then([slowRoot]);
  });

  it("an end past its threshold, before any tick raised it, raises and resolves it at once", () => {
    given([...late, tick(T0 + s(7.2))])
      .when(ended(ROOT, { end: T0 + s(8), at: T0 + s(8) }))
      .then([slowRoot, { type: "AlertResolved", alertId: slowRoot.alertId, at: T0 + s(8), reason: "span_ended", value: 8e9 }]);
  });
});

describe("slow span: a start dated ahead (a client clock running fast)", () => {
  // Dated 10 s after the saga learned of it, at T0.
  const ahead = [traceBegan(), started(ROOT, { start: T0 + s(10), at: T0 })];

  it("counts from when the saga learned of it: raised once that is its threshold ago, dated then, not ahead", () => {
    given(ahead).when(tick(T0 + s(4.9))).thenNothing();
    given(ahead).when(tick(T0 + s(5.3))).then([slowRoot]);
  });
});

describe("slow span: thresholds per service and per operation", () => {
  const config = monitoringConfig({
    slowSpan: { byService: { payments: s(1) }, byOperation: { payments: { "refund card": s(30) } } },
  });

  it("a service's threshold replaces the default", () => {
    given([...rootRunning, started(CHILD, { parent: ROOT })], config)
      .when(tick(T0 + s(1.5)))
      .then([{ type: "AlertRaised", kind: "slow_span", subject: { spanId: CHILD, service: "payments" }, at: T0 + s(1), threshold: 1e9 }]);
  });

  it("an operation's threshold replaces its service's", () => {
    given([...rootRunning, started(CHILD, { parent: ROOT, name: "refund card" })], config).when(tick(T0 + s(4))).thenNothing();
    given([...rootRunning, started(CHILD, { parent: ROOT, name: "refund card" })], config)
      .when(tick(T0 + s(31)))
      .then([
        { type: "AlertRaised", kind: "slow_trace" },
        { type: "AlertRaised", kind: "slow_span", subject: { spanId: ROOT } },
        { type: "AlertRaised", kind: "slow_span", subject: { spanId: CHILD, operation: "refund card" }, threshold: 30e9 },
      ]);
  });

  it("other services keep the default", () => {
    given(rootRunning, config).when(tick(T0 + s(4))).thenNothing();
  });
});

describe("slow span: renamed as it ends (an HTTP server span that learnt its route)", () => {
  // Started as "POST /checkout" (the default 5 s), ended as "POST /checkout/{cart}" (1 s), or as "GET /export" (30 s).
  const config = monitoringConfig({ slowSpan: { byOperation: { checkout: { "POST /checkout/{cart}": s(1), "GET /export": s(30) } } } });
  const route = "POST /checkout/{cart}";
  const slowAsRoute = { ...slowRoot, subject: { ...slowRoot.subject, operation: route }, at: T0 + s(1), value: 1e9, threshold: 1e9 };

  it("a final name with a lower threshold judges the span at its end: raised by that name and threshold, and resolved", () => {
    const [raised] = given(rootRunning, config)
      .when(ended(ROOT, { end: T0 + s(2.5), renamedTo: route }))
      .then([slowAsRoute, { type: "AlertResolved", alertId: slowRoot.alertId, kind: "slow_span", at: T0 + s(2.5), reason: "span_ended", value: 2.5e9 }]);
    expect(raised).toMatchObject({ message: `span "${route}" of checkout has run longer than 1 s` });
  });

  it("so does it when ticks watched it run under its start name, below that name's threshold", () => {
    given([...rootRunning, tick(T0 + s(2))], config)
      .when(ended(ROOT, { end: T0 + s(2.5), renamedTo: route }))
      .then([slowAsRoute, { type: "AlertResolved", alertId: slowRoot.alertId, reason: "span_ended", value: 2.5e9 }]);
  });

  it("within both thresholds it decides nothing", () => {
    given(rootRunning, config).when(ended(ROOT, { end: T0 + s(0.9), renamedTo: route })).thenNothing();
  });

  it("a final name with a higher threshold does not spare it: the start name's, which a tick would have used, still applies", () => {
    given(rootRunning, config)
      .when(ended(ROOT, { end: T0 + s(7), renamedTo: "GET /export" }))
      .then([slowRoot, { type: "AlertResolved", alertId: slowRoot.alertId, reason: "span_ended", value: 7e9 }]);
    given(rootRunning, config).when(ended(ROOT, { end: T0 + s(4), renamedTo: "GET /export" })).thenNothing();
  });

  it("an alert raised while it ran keeps its start name and threshold, and is only resolved", () => {
    given([...rootRunning, tick(T0 + s(6))], config)
      .when(ended(ROOT, { end: T0 + s(8), renamedTo: route }))
      .then([{ type: "AlertResolved", alertId: slowRoot.alertId, reason: "span_ended", subject: slowRoot.subject, value: 8e9 }]);
  });
});

describe("slow trace", () => {
  const slowTrace = {
    type: "AlertRaised",
    alertId: `slow_trace:${TRACE}`,
    kind: "slow_trace",
    subject: { type: "trace", traceId: TRACE, service: "checkout", operation: "POST /checkout" },
    at: T0 + s(10),
    threshold: 10e9,
  } as const;
  const longRunning = [...rootRunning, tick(T0 + s(6))];

  it("a tick past the threshold raises it once while the trace still runs", () => {
    given(longRunning).when(tick(T0 + s(10.5))).then([slowTrace]);
    given([...longRunning, tick(T0 + s(10.5))]).when(tick(T0 + s(12))).thenNothing();
  });

  it("its completion resolves it with the trace's duration", () => {
    given([...longRunning, tick(T0 + s(10.5)), ended(ROOT, { end: T0 + s(12) })])
      .when(completed({ end: T0 + s(12) }))
      .then([{ type: "AlertResolved", alertId: slowTrace.alertId, kind: "slow_trace", at: T0 + s(12), reason: "trace_completed", value: 12e9 }]);
  });

  it("a trace already slow when it completed, unseen by any tick, is raised and resolved at completion", () => {
    given([traceBegan(), started(ROOT), ended(ROOT, { end: T0 + s(4) })])
      .when(completed({ end: T0 + s(11) }))
      .then([slowTrace, { type: "AlertResolved", alertId: slowTrace.alertId, reason: "trace_completed", value: 11e9 }]);
  });

  it("a root renamed as it ended names the alert raised at completion by its final name", () => {
    given([traceBegan(), started(ROOT), ended(ROOT, { end: T0 + s(4), renamedTo: "POST /checkout/{cart}" })])
      .when(completed({ end: T0 + s(11) }))
      .then([
        { ...slowTrace, subject: { ...slowTrace.subject, operation: "POST /checkout/{cart}" } },
        { type: "AlertResolved", alertId: slowTrace.alertId, reason: "trace_completed", value: 11e9 },
      ]);
  });

  it("a trace reported after the fact is judged from when the saga learned of it", () => {
    // Started at T0, reported 15 s later: past the trace's 10 s and the span's 5 s.
    const late = [traceBegan({ at: T0 + s(15) }), started(ROOT, { at: T0 + s(15) })];
    given(late).when(tick(T0 + s(15.5))).thenNothing();
    given([...late, tick(T0 + s(15.5))])
      .when(tick(T0 + s(25.5)))
      .then([slowTrace, slowRoot]);
  });

  it("an open alert a new leader took from the stream, with no trace behind it, is resolved at completion, not raised again", () => {
    // The old leader raised it and stored it; the new one's replay has not seen the trace.
    const stored = { ...slowTrace, value: 10e9, unit: "ns", message: 'trace "POST /checkout" of checkout has run longer than 10 s' } as const;
    const then = givenRebuilt([], [stored], { caughtUp: true }).when(completed({ end: T0 + s(15) }));
    expect(then.outputs.filter((o) => o.type === "AlertRaised")).toEqual([]);
    expect(then.outputs.filter((o) => o.type === "AlertResolved")).toMatchObject([{ alertId: stored.alertId, reason: "trace_completed", subject: stored.subject }]);
  });

  it("a trace without a local root, waiting with nothing running, is idle rather than slow", () => {
    const remote = [
      traceBegan({ remote: true, service: "payments" }),
      started(CHILD, { parent: REMOTE_PARENT, remoteParent: true }),
      ended(CHILD, { end: T0 + s(1) }),
    ];
    given(remote).when(tick(T0 + s(20))).thenNothing();
  });
});
