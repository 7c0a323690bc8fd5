import { describe, expect, it } from "vitest";
import { CHILD, GRANDCHILD, REMOTE_PARENT, ROOT } from "../testing/trace-fixtures.js";
import { monitoringConfig } from "./monitoring-config.js";
import { pendingCommands } from "./pending-commands.js";
import { atVersion, completed, ended, errored, orphaned, s, started, T0, tick, traceBegan, TRACE } from "./testing/monitoring-fixtures.js";
import { given, run } from "./testing/monitoring-specification.js";

// Slow-span alerts would join every tick here; they have their own specs.
const quiet = { slowSpan: { defaultNs: s(3600) }, slowTraceThresholdNs: s(3600) };
const config = monitoringConfig(quiet);
const running = [traceBegan(), started(ROOT), started(CHILD, { parent: ROOT })];

describe("orphans: a span open past the timeout is closed by command", () => {
  it("before the timeout nothing happens", () => {
    given(running, config).when(tick(T0 + s(300))).thenNothing();
  });

  it("past the timeout each open span gets CloseOrphanedSpan with reason timeout", () => {
    given(running, config)
      .when(tick(T0 + s(300.5)))
      .then([
        { type: "CloseOrphanedSpan", traceId: TRACE, spanId: ROOT, reason: "timeout" },
        { type: "CloseOrphanedSpan", traceId: TRACE, spanId: CHILD, reason: "timeout" },
      ]);
  });

  it("the command is given once, not on every later tick", () => {
    given([...running, tick(T0 + s(301))], config).when(tick(T0 + s(302))).thenNothing();
  });

  it("the timeout is configurable", () => {
    given(running, monitoringConfig({ ...quiet, orphanTimeoutNs: s(30) }))
      .when(tick(T0 + s(31)))
      .then([{ type: "CloseOrphanedSpan", spanId: ROOT }, { type: "CloseOrphanedSpan", spanId: CHILD }]);
  });

  it("a start reported late counts from when the saga learned of it, not from its (old) start time", () => {
    given([...running, started(GRANDCHILD, { parent: CHILD, start: T0, at: T0 + s(200) })], config)
      .when(tick(T0 + s(301)))
      .then([{ type: "CloseOrphanedSpan", spanId: ROOT }, { type: "CloseOrphanedSpan", spanId: CHILD }]);
  });

  it("a start dated in the future (a client clock running ahead) counts from when the saga learned of it, not from that start", () => {
    given([...running, started(GRANDCHILD, { parent: CHILD, start: T0 + s(10), at: T0 })], config)
      .when(tick(T0 + s(300.5)))
      .then([{ type: "CloseOrphanedSpan", spanId: ROOT }, { type: "CloseOrphanedSpan", spanId: CHILD }, { type: "CloseOrphanedSpan", spanId: GRANDCHILD }]);
  });

  it("a bogus start far in the future (the year 2100) is still closed once past the timeout", () => {
    const in2100 = 4_102_444_800n * 1_000_000_000n;
    given([traceBegan(), started(ROOT, { start: in2100, at: T0 })], config)
      .when(tick(T0 + s(300.5)))
      .then([{ type: "CloseOrphanedSpan", traceId: TRACE, spanId: ROOT, reason: "timeout" }]);
  });

  it("the aggregate's answer (SpanOrphaned, then TraceCompleted) clears the pending commands", () => {
    const asked = run([...running, tick(T0 + s(301))], config);
    expect(pendingCommands(asked.state)).toEqual([
      { type: "CloseOrphanedSpan", traceId: TRACE, spanId: ROOT, reason: "timeout" },
      { type: "CloseOrphanedSpan", traceId: TRACE, spanId: CHILD, reason: "timeout" },
    ]);
    const answered = run(
      [
        ...running,
        tick(T0 + s(301)),
        orphaned(ROOT, { start: T0, closed: T0 + s(301) }),
        orphaned(CHILD, { start: T0, closed: T0 + s(301) }),
        completed({ end: T0 + s(301), spans: 2 }),
      ],
      config,
    );
    expect(pendingCommands(answered.state)).toEqual([]);
    expect(answered.state.traces.size).toBe(0);
  });
});

describe("orphans: a trace without a local root is closed when idle", () => {
  const idleConfig = monitoringConfig({ ...quiet, traceIdleTimeoutNs: s(60) });
  const remote = [
    traceBegan({ remote: true, service: "payments" }),
    started(CHILD, { parent: REMOTE_PARENT, remoteParent: true }),
    ended(CHILD, { end: T0 + s(1) }),
  ];

  it("idle past traceIdleTimeoutNs: CloseTrace", () => {
    given(remote, idleConfig).when(tick(T0 + s(61.5))).then([{ type: "CloseTrace", traceId: TRACE }]);
  });

  it("not before", () => {
    given(remote, idleConfig).when(tick(T0 + s(61))).thenNothing();
  });

  it("once", () => {
    given([...remote, tick(T0 + s(62))], idleConfig).when(tick(T0 + s(120))).thenNothing();
  });

  it("any event on the trace restarts its idle time", () => {
    given([...remote, errored(CHILD, { time: T0 + s(30) })], idleConfig).when(tick(T0 + s(62))).thenNothing();
    given([...remote, started(GRANDCHILD, { parent: REMOTE_PARENT, remoteParent: true, start: T0 + s(30) }), ended(GRANDCHILD, { end: T0 + s(31) })], idleConfig)
      .when(tick(T0 + s(91.5)))
      .then([{ type: "CloseTrace" }]);
  });

  it("not while a span of it runs: that is the orphan rule's", () => {
    given([traceBegan({ remote: true }), started(CHILD, { parent: REMOTE_PARENT, remoteParent: true })], idleConfig).when(tick(T0 + s(120))).thenNothing();
  });

  it("a trace with a local root is left to the aggregate, which completes it", () => {
    given([traceBegan(), started(ROOT), ended(ROOT, { end: T0 + s(1) })], idleConfig).when(tick(T0 + s(120))).thenNothing();
  });

  it("its TraceCompleted takes it out of the state and out of the pending commands", () => {
    const { state } = run([...remote, tick(T0 + s(62)), completed({ end: T0 + s(1) })], idleConfig);
    expect(state.traces.size).toBe(0);
    expect(pendingCommands(state)).toEqual([]);
    expect(pendingCommands(run([...remote, tick(T0 + s(62))], idleConfig).state)).toEqual([{ type: "CloseTrace", traceId: TRACE, expectedVersion: 0 }]);
  });

  // The same trace with its stream versions, as the runner reads them from the store.
  const versioned = remote.map((input, i) => atVersion(input, i + 1));

  it("CloseTrace names the stream version of the last event the saga read of the trace", () => {
    given(versioned, idleConfig).when(tick(T0 + s(61.5))).then([{ type: "CloseTrace", traceId: TRACE, expectedVersion: 3 }]);
    expect(pendingCommands(run([...versioned, tick(T0 + s(62))], idleConfig).state)).toEqual([{ type: "CloseTrace", traceId: TRACE, expectedVersion: 3 }]);
  });

  it("a close the aggregate did not carry out (a span had started: the trace moved on) is given again once the trace is idle again", () => {
    const movedOn = [
      ...versioned,
      tick(T0 + s(62)),
      atVersion(started(GRANDCHILD, { parent: CHILD, start: T0 + s(61.9), at: T0 + s(62.1) }), 4),
      atVersion(ended(GRANDCHILD, { end: T0 + s(70) }), 5),
    ];
    // Running, then idle for less than the timeout: nothing pending, nothing given.
    expect(pendingCommands(run(movedOn.slice(0, 5), idleConfig).state)).toEqual([]);
    given(movedOn, idleConfig).when(tick(T0 + s(129))).thenNothing();
    given(movedOn, idleConfig).when(tick(T0 + s(131))).then([{ type: "CloseTrace", traceId: TRACE, expectedVersion: 5 }]);
  });
});
