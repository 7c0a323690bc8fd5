// Values at the edges of what the contract's types allow, end to end: a uint64
// that PostgreSQL's int8 cannot hold, a zero time (the contract's "now"), a time
// in the future, a negative page size, a forged page token, a watch resumed past
// the end of a completed trace. Each gets an answer from the contract (a result,
// or INVALID_ARGUMENT with its reason), never INTERNAL, and none waits forever.

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MonitoringService, SpanState, TraceState, TracingCommandSchema } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { connectError } from "./support/error-details.js";
import { hex, newTraceId } from "./support/ids.js";
import { listedWhen } from "./support/listing.js";
import { serverPerFile } from "./support/server-per-file.js";
import { readIterable } from "./support/stream-reader.js";

const U64_MAX = (1n << 64n) - 1n;
const e2e = serverPerFile();

async function rejection(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    return connectError(error);
  }
  throw new Error("the call succeeded");
}

/** A completed trace of one span, and a trace with a span still running (its start and version). */
async function traces() {
  const done = await e2e.client.startTrace({ name: "done", serviceName: "bounds" });
  const end = await e2e.client.endSpan({ traceparent: done.traceparent });
  const open = await e2e.client.startTrace({ name: "open", serviceName: "bounds" });
  return { done: { traceId: done.traceId, version: end.traceVersion }, open: { traceId: open.traceId, version: open.traceVersion } };
}

describe("uint64 values past int8", () => {
  it("ListTraces reads time and duration filters past int8 as the largest int8", async () => {
    const { open } = await traces();
    await listedWhen(
      e2e.server.projector,
      () => e2e.client.listTraces({ serviceName: "bounds", pageSize: 1000 }),
      (r) => r.traces.some((t) => hex(t.traceId) === hex(open.traceId)),
      "the open trace listed",
    );
    const listed = (filters: Parameters<typeof e2e.client.listTraces>[0]) => e2e.client.listTraces({ serviceName: "bounds", ...filters }).then((r) => r.traces.length);
    expect(await listed({ startTimeMinUnixNano: U64_MAX })).toBe(0);
    expect(await listed({ minDurationNano: U64_MAX })).toBe(0);
    expect(await listed({ startTimeMaxUnixNano: U64_MAX })).toBeGreaterThan(0);
    expect(await listed({ maxDurationNano: U64_MAX })).toBeGreaterThan(0);
  });

  it("GetTrace as of a version past the stream's answers the trace as it is now", async () => {
    const { done } = await traces();
    const trace = (await e2e.client.getTrace({ traceId: done.traceId, asOf: { case: "asOfVersion", value: U64_MAX } })).trace!;
    expect([trace.state, trace.version]).toEqual([TraceState.COMPLETED, done.version]);
  });

  it("GetTraceEvents after or up to a version past the stream's", async () => {
    const { done } = await traces();
    expect((await e2e.client.getTraceEvents({ traceId: done.traceId, afterVersion: U64_MAX })).events).toHaveLength(0);
    expect((await e2e.client.getTraceEvents({ traceId: done.traceId, toVersion: U64_MAX })).events).toHaveLength(Number(done.version));
  });
});

describe("times past what the log holds (int8 nanoseconds)", () => {
  it("are refused as INVALID_ARGUMENT, and refuse only their own command: the others of the batch are stored", async () => {
    const late = 1n << 63n;
    expect(await rejection(e2e.client.startTrace({ name: "late", serviceName: "bounds", startTimeUnixNano: late }))).toMatchObject({ code: "invalid_argument", reason: "INVALID_TIME_RANGE" });
    const good = newTraceId();
    const bad = newTraceId();
    const response = await e2e.client.ingestBatch({
      commands: [
        create(TracingCommandSchema, { command: { case: "startTrace", value: { traceId: good, name: "good", serviceName: "bounds" } } }),
        create(TracingCommandSchema, { command: { case: "startTrace", value: { traceId: bad, name: "late", serviceName: "bounds", startTimeUnixNano: late } } }),
      ],
    });
    expect(response.results.map((r) => r.result.case)).toEqual(["startTrace", "error"]);
    expect(response.results[1]!.result.value).toMatchObject({ reason: "INVALID_TIME_RANGE" });
    expect((await e2e.client.getTraceEvents({ traceId: good })).events.length).toBeGreaterThan(0);
    expect((await e2e.client.getTraceEvents({ traceId: bad })).events).toHaveLength(0);
  });
});

describe("GetTrace times", () => {
  it("a zero time means now, as the contract says of every time", async () => {
    const { open } = await traces();
    const trace = (await e2e.client.getTrace({ traceId: open.traceId, asOf: { case: "asOfTimeUnixNano", value: 0n } })).trace!;
    expect([trace.version, trace.spans[0]!.state]).toEqual([open.version, SpanState.RUNNING]);
  });

  it("a time in the future is now: a running span's duration is not measured to a moment that has not come", async () => {
    const { open } = await traces();
    const hourAhead = BigInt(Date.now()) * 1_000_000n + 3_600_000_000_000n;
    for (const value of [hourAhead, U64_MAX]) {
      const span = (await e2e.client.getTrace({ traceId: open.traceId, asOf: { case: "asOfTimeUnixNano", value } })).trace!.spans[0]!;
      expect(span.state).toBe(SpanState.RUNNING);
      expect(span.durationNano).toBeLessThan(60_000_000_000n);
    }
  });
});

describe("paging", () => {
  it("ListTraces refuses a negative page size (0 is the default)", async () => {
    expect(await rejection(e2e.client.listTraces({ pageSize: -1 }))).toMatchObject({ code: "invalid_argument", reason: "INVALID_PAGE_SIZE" });
    expect((await e2e.client.listTraces({ pageSize: 0 })).traces.length).toBeGreaterThanOrEqual(0);
  });

  it("ListTraces refuses a token whose position is past int8, as any token it did not issue", async () => {
    await traces();
    const first = await listedWhen(e2e.server.projector, () => e2e.client.listTraces({ serviceName: "bounds", pageSize: 1 }), (r) => r.nextPageToken !== "", "a second page");
    const [, , traceId, hash] = Buffer.from(first.nextPageToken, "base64url").toString().split(":");
    const forged = Buffer.from(`v1:99999999999999999999:${traceId}:${hash}`).toString("base64url");
    expect(await rejection(e2e.client.listTraces({ serviceName: "bounds", pageSize: 1, pageToken: forged }))).toMatchObject({ code: "invalid_argument", reason: "INVALID_PAGE_TOKEN" });
  });

  it("GetTraceEvents refuses a token whose version is past the stream's range", async () => {
    const { done } = await traces();
    const forged = Buffer.from("v1:99999999999999999999").toString("base64url");
    expect(await rejection(e2e.client.getTraceEvents({ traceId: done.traceId, pageToken: forged }))).toMatchObject({ code: "invalid_argument", reason: "INVALID_PAGE_TOKEN" });
  });
});

describe("WatchTrace resumed past the end", () => {
  it.each([
    ["its last version plus one", 1n],
    ["the largest uint64", undefined],
  ])("ends at once on a completed trace resumed at %s", async (_, plus) => {
    const { done } = await traces();
    const abort = new AbortController();
    try {
      const afterVersion = plus === undefined ? U64_MAX : done.version + plus;
      const watch = readIterable(e2e.client.watchTrace({ traceId: done.traceId, afterVersion }, { signal: abort.signal }));
      expect(await watch.ending(5_000, "WatchTrace resumed past a completed trace to end")).toEqual({ ok: true });
    } finally {
      abort.abort();
    }
  });

  it("WatchAlerts after a version past any stream's waits for new alerts, not fails", async () => {
    const monitoring = createClient(MonitoringService, createGrpcTransport({ baseUrl: `http://${e2e.server.grpcAddress}` }));
    const abort = new AbortController();
    const watch = readIterable(monitoring.watchAlerts({ afterVersion: U64_MAX }, { signal: abort.signal }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    abort.abort();
    const end = await watch.ending(5_000, "the cancelled watch to end");
    expect(end.ok ? "ok" : connectError((end as { error: unknown }).error).code).toBe("canceled");
  });

  it("waits on an open trace, and on one that does not exist yet", async () => {
    const { open } = await traces();
    for (const traceId of [open.traceId, newTraceId()]) {
      const abort = new AbortController();
      const watch = readIterable(e2e.client.watchTrace({ traceId, afterVersion: U64_MAX }, { signal: abort.signal }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      abort.abort();
      const end = await watch.ending(5_000, "the cancelled watch to end");
      expect(end.ok ? "ok" : connectError((end as { error: unknown }).error).code).toBe("canceled");
    }
  });
});
