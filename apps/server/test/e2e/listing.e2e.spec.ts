// ListTraces on the real server: filters, newest first, paging with tokens;
// and projector.catchUp(), the barrier tests (and tools) use before reading the
// listing, when another projector instance holds the projection at that moment.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { TRACE_LISTING_LOCK_KEY } from "../../src/projections/postgres/trace-listing-projector.js";
import { StatusCode, TraceState, type ListTracesRequestSchema, type ListTracesResponse } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../support/test-database.js";
import { hex, newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { connectClient, startServer } from "./support/in-process-server.js";
import { serverPerFile } from "./support/server-per-file.js";
import { listedWhen } from "./support/listing.js";
import { text } from "./support/values.js";
import { until, within } from "./support/wait.js";

const e2e = serverPerFile();

describe("ListTraces", () => {
  it("filters by service, span name, attribute, status, state and duration, newest first, one page at a time", async () => {
    const base = nowNanos() - 60_000_000_000n; // a minute ago, one second apart: a known order
    const ms = 1_000_000n;
    const made: Array<{ traceId: Buffer; name: string }> = [];
    // 0: completed in 5 ms, OK; 1: completed in 500 ms with an ERROR child; 2: open, with an attribute;
    // 3: completed in 50 ms; 4: open, newest.
    for (let i = 0; i < 5; i++) {
      const traceId = newTraceId();
      const root = newSpanId();
      const start = base + BigInt(i) * 1_000_000_000n;
      await e2e.client.startTrace({ traceId, spanId: root, name: `list ${i}`, serviceName: "list-front", startTimeUnixNano: start, attributes: i === 2 ? [text("tenant", "acme")] : [] });
      if (i === 1) {
        const child = newSpanId();
        await e2e.client.startSpan({ traceId, parentSpanId: root, spanId: child, name: "charge", serviceName: "list-payments", startTimeUnixNano: start + ms });
        await e2e.client.endSpan({ traceId, spanId: child, endTimeUnixNano: start + 2n * ms, status: { code: StatusCode.ERROR, message: "declined" } });
      }
      const duration = [5n * ms, 500n * ms, 0n, 50n * ms, 0n][i]!;
      if (duration > 0n) await e2e.client.endSpan({ traceId, spanId: root, endTimeUnixNano: start + duration, status: { code: StatusCode.OK } });
      made.push({ traceId, name: `list ${i}` });
    }

    type Request = MessageInitShape<typeof ListTracesRequestSchema>;
    const names = (response: ListTracesResponse) => response.traces.map((t) => t.rootName);
    const list = (request: Request): Promise<ListTracesResponse> => e2e.client.listTraces(request);
    const all = await listedWhen(
      e2e.server.projector,
      () => list({ serviceName: "list-front" }),
      (l) => l.traces.length === 5 && l.traces.filter((t) => t.state === TraceState.COMPLETED).length === 3,
      "ListTraces to list the five traces, three of them completed",
    );
    expect(names(all)).toEqual(["list 4", "list 3", "list 2", "list 1", "list 0"]);

    expect(names(await list({ serviceName: "list-payments" }))).toEqual(["list 1"]);
    expect(names(await list({ serviceName: "list-front", spanName: "charge" }))).toEqual(["list 1"]);
    expect(names(await list({ serviceName: "list-front", attributes: [text("tenant", "acme")] }))).toEqual(["list 2"]);
    expect(names(await list({ serviceName: "list-front", status: StatusCode.ERROR }))).toEqual(["list 1"]);
    expect(names(await list({ serviceName: "list-front", status: StatusCode.OK }))).toEqual(["list 4", "list 3", "list 2", "list 0"]);
    expect(names(await list({ serviceName: "list-front", state: TraceState.OPEN }))).toEqual(["list 4", "list 2"]);
    expect(names(await list({ serviceName: "list-front", state: TraceState.COMPLETED, minDurationNano: 50n * ms }))).toEqual(["list 3", "list 1"]);
    expect(names(await list({ serviceName: "list-front", state: TraceState.COMPLETED, maxDurationNano: 50n * ms }))).toEqual(["list 3", "list 0"]);
    expect(names(await list({ serviceName: "list-front", startTimeMinUnixNano: base + 3_000_000_000n }))).toEqual(["list 4", "list 3"]);
    expect(all.traces.find((t) => t.rootName === "list 1")).toMatchObject({ spanCount: 2, errorCount: 1, serviceNames: ["list-front", "list-payments"] });

    // Pages of two, newest first, the token carrying the listing on.
    const paged: string[] = [];
    const sizes: number[] = [];
    let pageToken = "";
    for (let page = 0; page < 5; page++) {
      const response = await list({ serviceName: "list-front", pageSize: 2, pageToken });
      paged.push(...names(response));
      sizes.push(response.traces.length);
      pageToken = response.nextPageToken;
      if (pageToken === "") break;
    }
    expect(paged).toEqual(names(all));
    expect(sizes.slice(0, 2)).toEqual([2, 2]);
    expect(pageToken).toBe("");
    expect(made.map((m) => hex(m.traceId)).sort()).toEqual(all.traces.map((t) => hex(t.traceId)).sort());
  });
});

describe("projector.catchUp()", () => {
  it("returns only once every event committed before the call is applied, even while another projector instance holds the projection", async () => {
    // Its own database and server, with the background projection stopped:
    // here only catchUp() projects, and another "instance" is simulated by the test.
    const own = await createTestDatabase();
    const solo = await startServer(own.url);
    const holder = await own.sql.reserve();
    try {
      await solo.projector.stop();
      const soloClient = connectClient(solo.grpcAddress);
      const done = await soloClient.startTrace({ name: "to be listed", serviceName: "catch-up" });
      await soloClient.endSpan({ traceparent: done.traceparent });
      // Its events are below the log's safe horizon (no older transaction still running in the cluster).
      await until(10_000, "the trace's events to be readable by the projection", async () => {
        const [row] = await own.sql<{ visible: boolean }[]>`
          select coalesce(max(tx_id) < pg_snapshot_xmin(pg_current_snapshot()), false) as visible from events`;
        return row!.visible ? true : undefined;
      });

      // Another projector instance is applying a slice: it holds the projection's lock.
      await holder`select pg_advisory_lock(${TRACE_LISTING_LOCK_KEY}::int8)`;
      const caught = solo.projector.catchUp().then((applied) => ({ applied }));
      // The other instance holds it for a second, then lets go. (No event says "catchUp is
      // waiting"; the second only stands for the other instance's work.)
      const first = await Promise.race([caught, new Promise<"still locked">((resolve) => setTimeout(() => resolve("still locked"), 1000))]);
      await holder`select pg_advisory_unlock(${TRACE_LISTING_LOCK_KEY}::int8)`;
      const applied = await within(10_000, "catchUp() to return after the lock was released", caught);

      const listed = await soloClient.listTraces({ serviceName: "catch-up" });
      expect(
        { returnedWhileLocked: first !== "still locked", listed: listed.traces.map((t) => [hex(t.traceId), t.state]) },
        `catchUp() returned ${JSON.stringify(first)} while another instance held the projection lock with 4 events unapplied`,
      ).toEqual({ returnedWhileLocked: false, listed: [[hex(done.traceId), TraceState.COMPLETED]] });
      expect(applied.applied).toBe(4);
    } finally {
      holder.release();
      await solo.stop();
      await own.drop();
    }
  });
});
