// Two servers on one database writing the same trace at once: each has its own
// command bus and trace cache (the two-replica case), so only the event
// store's optimistic concurrency keeps them apart. They must lose nothing and
// duplicate nothing: every acknowledged span is in the trace exactly once, the
// stream's versions run 1..N without gaps, and no event id repeats. First two
// servers in this process, then two real OS processes stopped with SIGTERM.

import { Code, ConnectError } from "@connectrpc/connect";
import { SpanState, StatusCode, TraceState } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { ForeignTracingClient, type Wire } from "./support/grpc-js-client.js";
import { hex, newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";
import { killServer, spawnServer, type ServerProcess } from "./support/server-process.js";
import { readIterable } from "./support/stream-reader.js";
import { within } from "./support/wait.js";
import { listedWhen } from "./support/listing.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

/** ABORTED (CONCURRENT_MODIFICATION) says "retry the call": a client does, with the same ids. */
async function retryingAborted<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ConnectError) || error.code !== Code.Aborted || attempt >= 20) throw error;
    }
  }
}

interface FanOut {
  readonly traceId: Buffer;
  readonly root: Buffer;
  readonly children: ReadonlyArray<{ spanId: Buffer; start: bigint; name: string }>;
}

/**
 * A root on `a`, then `count` children started at once, alternating between the
 * servers, every fourth also sent to the other server at the same moment (an
 * identical retry, explicit times included); then all ended the same way, then
 * the root on `b`. Answers to one command must agree on the span (trace_version
 * of a cross-replica retry is checked by its own deterministic test below).
 */
async function fanOut(a: TracingClient, b: TracingClient, count: number, traceId = newTraceId()): Promise<FanOut> {
  const root = newSpanId();
  await a.startTrace({ traceId, spanId: root, name: "fan-out", serviceName: "replicas" });
  const children = Array.from({ length: count }, (_, i) => ({ spanId: newSpanId(), start: nowNanos(), name: `child ${i}` }));
  const servers = (i: number) => (i % 2 === 0 ? [a, b] : [b, a]) as [TracingClient, TracingClient];

  const starts = await Promise.all(
    children.map((c, i) => {
      const [primary, other] = servers(i);
      const request = { traceId, parentSpanId: root, spanId: c.spanId, startTimeUnixNano: c.start, name: c.name, serviceName: "replicas" };
      const calls = [retryingAborted(() => primary.startSpan(request))];
      if (i % 4 === 0) calls.push(retryingAborted(() => other.startSpan(request)));
      return Promise.all(calls);
    }),
  );
  starts.forEach((answers, i) => {
    for (const answer of answers) {
      expect(hex(answer.spanId)).toBe(hex(children[i]!.spanId));
      expect(answer.traceparent).toBe(answers[0]!.traceparent);
      expect(answer.traceStarted).toBe(false);
    }
  });

  const ends = await Promise.all(
    children.map((c, i) => {
      const [primary, other] = servers(i);
      const request = { traceId, spanId: c.spanId, endTimeUnixNano: c.start + 1_000_000n, status: { code: StatusCode.OK } };
      const calls = [retryingAborted(() => primary.endSpan(request))];
      // Retried on the other server only where both servers saw the start: ending a span on a
      // replica that never saw it is its own test below (a stale cache must not reject it).
      if (i % 4 === 0) calls.push(retryingAborted(() => other.endSpan(request)));
      return Promise.all(calls);
    }),
  );
  for (const answers of ends) {
    for (const answer of answers) expect(answer).toMatchObject({ durationNano: 1_000_000n, traceCompleted: false });
  }

  const rootEnd = await retryingAborted(() => b.endSpan({ traceId, spanId: root, status: { code: StatusCode.OK } }));
  expect(rootEnd.traceCompleted).toBe(true);
  return { traceId, root, children };
}

/** Every span once, every version once, every event id once. */
async function expectExactlyOnce(reader: TracingClient, run: FanOut): Promise<void> {
  const count = run.children.length;
  const trace = (await reader.getTrace({ traceId: run.traceId })).trace!;
  expect(trace.state).toBe(TraceState.COMPLETED);
  expect(trace.spanCount).toBe(count + 1);
  expect(trace.spans.map((s) => hex(s.spanId)).sort()).toEqual([run.root, ...run.children.map((c) => c.spanId)].map(hex).sort());
  expect(trace.spans.every((s) => s.state === SpanState.ENDED)).toBe(true);

  const events = (await reader.getTraceEvents({ traceId: run.traceId, pageSize: 5000 })).events;
  const total = 1 + (count + 1) + (count + 1) + 1;
  expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: total }, (_, i) => BigInt(i + 1)));
  expect(new Set(events.map((e) => e.eventId)).size).toBe(total);
  const types = events.map((e) => e.event!.event.case);
  expect(types[0]).toBe("traceStarted");
  expect(types.at(-1)).toBe("traceCompleted");
  expect(types.filter((t) => t === "spanStarted")).toHaveLength(count + 1);
  expect(types.filter((t) => t === "spanEnded")).toHaveLength(count + 1);
  expect(types.filter((t) => t === "traceCompleted")).toHaveLength(1);
}

describe("two servers in one process on one database", () => {
  let a: Traceledger;
  let b: Traceledger;
  let clientA: TracingClient;
  let clientB: TracingClient;

  beforeAll(async () => {
    [a, b] = await Promise.all([startServer(db.url), startServer(db.url)]);
    clientA = connectClient(a.grpcAddress);
    clientB = connectClient(b.grpcAddress);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("lose and duplicate nothing when both write children of one root at once, and a watcher on either sees every event once", async () => {
    const traceId = newTraceId();
    const abort = new AbortController();
    try {
      // Opened before the trace exists; B learns of A's writes by re-reading.
      const watch = readIterable(clientB.watchTrace({ traceId, afterVersion: 0n }, { signal: abort.signal }));
      const run = await fanOut(clientA, clientB, 60, traceId);
      await expectExactlyOnce(clientA, run);
      await expectExactlyOnce(clientB, run);

      const total = 2 * 61 + 2;
      const watched = await watch.take(total, 10_000, "every event of the trace on the watcher of server B");
      expect(watched.map((r) => r.event!.streamVersion)).toEqual(Array.from({ length: total }, (_, i) => BigInt(i + 1)));
      expect(await watch.ending(10_000, "the watch to end after TraceCompleted")).toEqual({ ok: true });
    } finally {
      abort.abort();
    }

    // Both servers' projectors follow the same log; the listing holds the trace once.
    await a.projector.catchUp();
    const listed = await listedWhen(
      b.projector,
      () => clientB.listTraces({ serviceName: "replicas" }),
      (l) => l.traces.some((t) => hex(t.traceId) === hex(traceId) && t.state === TraceState.COMPLETED),
      "ListTraces to show the fan-out trace completed",
    );
    expect(listed.traces.filter((t) => hex(t.traceId) === hex(traceId))).toHaveLength(1);
    expect(listed.traces.find((t) => hex(t.traceId) === hex(traceId))).toMatchObject({ spanCount: 61, state: TraceState.COMPLETED });
  });

  it("answers a StartSpan retried on the replica with a stale cache with the original result", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    await clientA.startTrace({ traceId, spanId: root, name: "root", serviceName: "replicas" }); // v1, v2
    // B reads the trace and caches it at version 3.
    await clientB.startSpan({ traceId, parentSpanId: root, spanId: newSpanId(), name: "on B", serviceName: "replicas" });
    // A writes two more spans; B's cache is now two versions behind.
    const spanOnA = () => ({ traceId, parentSpanId: root, spanId: newSpanId(), startTimeUnixNano: nowNanos(), name: "on A", serviceName: "replicas" });
    await clientA.startSpan(spanOnA()); // v4
    const request = spanOnA();
    const original = await clientA.startSpan(request); // v5
    expect(original.traceVersion).toBe(5n);

    // The client's retry reaches B (a load balancer picked the other replica).
    const retried = await clientB.startSpan(request);
    expect(retried).toEqual(original);
    expect((await clientA.getTraceEvents({ traceId })).events).toHaveLength(5);
  });

  it("answers an EndSpan retried on the replica with a stale cache with the original result (the trace completed)", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    const child = newSpanId();
    await clientA.startTrace({ traceId, spanId: root, name: "root", serviceName: "replicas" }); // v1, v2
    await clientB.startSpan({ traceId, parentSpanId: root, spanId: child, name: "child", serviceName: "replicas" }); // v3; B caches it
    await clientA.addSpanEvent({ traceId, spanId: root, eventId: "sync", name: "sync" }); // v4; A catches up through a version conflict
    await clientA.endSpan({ traceId, spanId: child }); // v5
    const request = { traceId, spanId: root, endTimeUnixNano: nowNanos(), status: { code: StatusCode.OK } };
    const original = await clientA.endSpan(request); // v6 SpanEnded, v7 TraceCompleted
    expect(original).toMatchObject({ traceCompleted: true, traceVersion: 7n });

    // B still believes the child runs; the client's retry reaches B.
    const retried = await clientB.endSpan(request);
    expect(retried).toEqual(original);
    expect((await clientA.getTraceEvents({ traceId })).events).toHaveLength(7);
  });

  it("ends a span that the other replica started, whatever either replica has cached", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    const child = newSpanId();
    await clientA.startTrace({ traceId, spanId: root, name: "root", serviceName: "replicas" }); // v1, v2; A caches it
    await clientB.startSpan({ traceId, parentSpanId: root, spanId: child, name: "child", serviceName: "replicas" }); // v3, through B
    // A's cached trace does not have the child yet: the command must not be rejected from it.
    const ended = await clientA.endSpan({ traceId, spanId: child, status: { code: StatusCode.OK } });
    expect(ended).toMatchObject({ traceVersion: 4n, traceCompleted: false });
    // Likewise a child of a span that the other replica started (parent named by id, not remote).
    const grandchild = await clientA.startSpan({ traceId, parentSpanId: child, spanId: newSpanId(), name: "grandchild", serviceName: "replicas" });
    expect(grandchild.traceVersion).toBe(5n);
  });

  it("ends a WatchTrace waiting past the end of a trace once the other replica completes it", async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    await clientA.startTrace({ traceId, spanId, name: "root", serviceName: "replicas" });
    const abort = new AbortController();
    try {
      // Resumed from a version the trace has not reached, on the replica that does not write it.
      const watch = readIterable(clientB.watchTrace({ traceId, afterVersion: 100n }, { signal: abort.signal }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await clientA.endSpan({ traceId, spanId })).traceCompleted).toBe(true);
      // Within B's shared poll (1 s) and a loaded machine's slack.
      expect(await watch.ending(5_000, "the watch on the other replica to end once the trace completed")).toEqual({ ok: true });
    } finally {
      abort.abort();
    }
  });
});

describe("two server processes on one database", () => {
  let p1: ServerProcess | undefined;
  let p2: ServerProcess | undefined;

  beforeAll(async () => {
    [p1, p2] = await Promise.all([spawnServer(db.url), spawnServer(db.url)]);
  });

  afterAll(async () => {
    await Promise.all([killServer(p1), killServer(p2)]);
  });

  it("lose and duplicate nothing writing one trace at once, then both stop gracefully on SIGTERM (exit 0)", async () => {
    const one = connectClient(p1!.grpcAddress);
    const two = connectClient(p2!.grpcAddress);
    const run = await fanOut(one, two, 40);
    await expectExactlyOnce(one, run);
    await expectExactlyOnce(two, run);

    // A foreign client on the other process reads the same.
    const foreign = new ForeignTracingClient(p2!.grpcAddress);
    try {
      const trace = (await foreign.call<{ trace: Wire }>("GetTrace", { trace_id: run.traceId })).trace;
      expect(trace).toMatchObject({ state: "TRACE_STATE_COMPLETED", span_count: 41, running_span_count: 0 });
    } finally {
      foreign.close();
    }

    p1!.signal("SIGTERM");
    p2!.signal("SIGTERM");
    const [exit1, exit2] = await Promise.all([
      within(20_000, "server process 1 to exit after SIGTERM", p1!.exited),
      within(20_000, "server process 2 to exit after SIGTERM", p2!.exited),
    ]);
    expect(exit1, p1!.output()).toEqual({ code: 0, signal: null });
    expect(exit2, p2!.output()).toEqual({ code: 0, signal: null });
    expect(p1!.output()).toContain('"msg":"stopped"');
    expect(p2!.output()).toContain('"msg":"stopped"');
  }, 60_000);
});
