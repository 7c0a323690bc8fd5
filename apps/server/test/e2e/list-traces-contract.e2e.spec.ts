// ListTraces through the RPC, where the data moves under it or a filter is out of
// its enum: the duration of an open trace with nothing running (as GetTrace has
// it), pages while a listed trace gains an earlier span (AIP-158: no trace twice),
// state/status numbers outside their enums, and an attribute key given twice.
import { StatusCode, TraceState } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { connectError } from "./support/error-details.js";
import { hex, newSpanId, newTraceId, nowNanos, traceparentOf } from "./support/ids.js";
import { listedWhen } from "./support/listing.js";
import { serverPerFile } from "./support/server-per-file.js";

const e2e = serverPerFile();
const ms = 1_000_000n;
const sec = 1_000_000_000n;
const text = (key: string, value: string) => ({ key, value: { value: { case: "stringValue" as const, value } } });

describe("ListTraces duration of an open trace with no running span", () => {
  it("is the same as GetTrace's, does not grow with the wall clock, and the duration filters see it so", async () => {
    // A span whose parent lives in another system: no local root, so the trace stays OPEN once the span has ended.
    const traceId = newTraceId();
    const spanId = newSpanId();
    const start = nowNanos() - 10n * sec;
    await e2e.client.startSpan({ traceparent: traceparentOf(traceId, newSpanId()), spanId, name: "remote-child", serviceName: "lt-dur", startTimeUnixNano: start });
    await e2e.client.endSpan({ traceId, spanId, endTimeUnixNano: start + 20n * ms, status: { code: StatusCode.OK } });

    const got = (await e2e.client.getTrace({ traceId })).trace!;
    const listed = await listedWhen(
      e2e.server.projector,
      () => e2e.client.listTraces({ serviceName: "lt-dur" }),
      (l) => l.traces.some((t) => hex(t.traceId) === hex(traceId) && t.runningSpanCount === 0),
      "the trace listed with its span ended",
    );
    const summary = listed.traces.find((t) => hex(t.traceId) === hex(traceId))!;
    const slow = await e2e.client.listTraces({ serviceName: "lt-dur", minDurationNano: 1n * sec });
    const short = await e2e.client.listTraces({ serviceName: "lt-dur", maxDurationNano: 30n * ms });
    expect({
      getTrace: { state: TraceState[got.state], running: got.runningSpanCount, durationNano: got.durationNano },
      listTraces: { state: TraceState[summary.state], running: summary.runningSpanCount, durationNano: summary.durationNano },
      listedAsLastingOver1s: slow.traces.map((t) => hex(t.traceId)).includes(hex(traceId)),
      listedAsLastingAtMost30ms: short.traces.map((t) => hex(t.traceId)).includes(hex(traceId)),
    }).toEqual({
      getTrace: { state: "OPEN", running: 0, durationNano: 20n * ms },
      listTraces: { state: "OPEN", running: 0, durationNano: 20n * ms },
      listedAsLastingOver1s: false,
      listedAsLastingAtMost30ms: true,
    });
  });
});

describe("ListTraces paging while data is added", () => {
  it("never lists a trace twice across the pages of one listing when a listed trace gains an earlier span", async () => {
    const base = nowNanos() - 3600n * sec;
    const ids: Uint8Array[] = [];
    const roots: Uint8Array[] = [];
    // Three traces, one second apart; C newest.
    for (const [i, name] of ["A", "B", "C"].entries()) {
      const traceId = newTraceId();
      const root = newSpanId();
      await e2e.client.startTrace({ traceId, spanId: root, name: `page ${name}`, serviceName: "lt-page", startTimeUnixNano: base + BigInt(i) * sec });
      ids.push(traceId);
      roots.push(root);
    }
    await listedWhen(e2e.server.projector, () => e2e.client.listTraces({ serviceName: "lt-page" }), (l) => l.traces.length === 3, "the three traces listed");

    const seen: string[] = [];
    let page = await e2e.client.listTraces({ serviceName: "lt-page", pageSize: 1 });
    seen.push(...page.traces.map((t) => t.rootName));
    // Between pages, C (already listed) gains a span that started before the others.
    await e2e.client.startSpan({ traceId: ids[2], parentSpanId: roots[2], spanId: newSpanId(), name: "early child", serviceName: "lt-page", startTimeUnixNano: base - 10n * sec });
    await listedWhen(
      e2e.server.projector,
      () => e2e.client.listTraces({ serviceName: "lt-page" }),
      (l) => l.traces.some((t) => t.rootName === "page C" && t.spanCount === 2),
      "C listed with its second span",
    );
    for (let i = 0; i < 5 && page.nextPageToken !== ""; i++) {
      page = await e2e.client.listTraces({ serviceName: "lt-page", pageSize: 1, pageToken: page.nextPageToken });
      seen.push(...page.traces.map((t) => t.rootName));
    }
    expect(seen).toEqual(["page C", "page B", "page A"]);
    // C shows its new start, and keeps its place.
    const again = await e2e.client.listTraces({ serviceName: "lt-page" });
    expect(again.traces.map((t) => [t.rootName, t.startTimeUnixNano])).toEqual([
      ["page C", base - 10n * sec],
      ["page B", base + sec],
      ["page A", base],
    ]);
  });
});

describe("ListTraces enum filters", () => {
  it("refuses a state or status that is not a value of its enum with INVALID_ARGUMENT, instead of listing nothing or everything", async () => {
    await e2e.client.startTrace({ name: "enum", serviceName: "lt-enum" });
    await listedWhen(e2e.server.projector, () => e2e.client.listTraces({ serviceName: "lt-enum" }), (l) => l.traces.length === 1, "listed");
    const outcome = (request: Parameters<typeof e2e.client.listTraces>[0]) =>
      e2e.client.listTraces({ serviceName: "lt-enum", ...request }).then(
        (r) => `OK with ${r.traces.length} trace(s)`,
        (error: unknown) => {
          const e = connectError(error);
          return { code: e.code, reason: e.reason, metadata: e.metadata };
        },
      );
    expect({ state99: await outcome({ state: 99 as TraceState }), status99: await outcome({ status: 99 as StatusCode }) }).toEqual({
      state99: { code: "invalid_argument", reason: "INVALID_TRACE_STATE", metadata: { state: "99" } },
      status99: { code: "invalid_argument", reason: "INVALID_STATUS_CODE", metadata: { status: "99" } },
    });
  });
});

describe("ListTraces attributes", () => {
  it("requires every given attribute, a key given twice included: two values of one key match no span", async () => {
    const blue = await e2e.client.startTrace({ name: "attrs", serviceName: "lt-attrs", attributes: [text("lt.tenant", "blue")] });
    await listedWhen(e2e.server.projector, () => e2e.client.listTraces({ serviceName: "lt-attrs" }), (l) => l.traces.length === 1, "listed");
    const listed = async (...attributes: ReturnType<typeof text>[]) => (await e2e.client.listTraces({ attributes })).traces.map((t) => hex(t.traceId));
    expect({
      blue: await listed(text("lt.tenant", "blue")),
      greenThenBlue: await listed(text("lt.tenant", "green"), text("lt.tenant", "blue")),
      blueThenGreen: await listed(text("lt.tenant", "blue"), text("lt.tenant", "green")),
      blueTwice: await listed(text("lt.tenant", "blue"), text("lt.tenant", "blue")),
    }).toEqual({ blue: [hex(blue.traceId)], greenThenBlue: [], blueThenGreen: [], blueTwice: [hex(blue.traceId)] });
  });
});
