// Every stored event can be read back over gRPC, whose answers may be no larger than
// TRACELEDGER_MAX_MESSAGE_BYTES (the send limit; stock clients' receive limit too). A write
// that would store an event which, with its GetTraceEvents / WatchTrace envelope, passes it is
// refused (EVENT_TOO_LARGE) and stores nothing: otherwise a reader of the trace, and a watcher
// resuming from its last version, would stop at that event for good. Two ways such events
// came in: a request just under the limit (the envelope adds ~150 bytes), and an OTLP resource
// whose service.name is stored twice (among the resource's attributes and as the span's
// service_name). A 64 KiB limit here stands for the default 4 MiB.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { StartTraceRequestSchema, type StartTraceRequest } from "@traceledger/proto";
import { ExportTraceServiceRequestSchema, ExportTraceServiceResponseSchema } from "@traceledger/proto/otlp";
import { describe, expect, it } from "vitest";
import { connectError } from "./support/error-details.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";

const LIMIT = 64 * 1024;
const e2e = serverPerFile({ TRACELEDGER_MAX_MESSAGE_BYTES: String(LIMIT) });

const T0 = 1_764_000_000_000_000_000n;
const text = (value: string) => ({ value: { case: "stringValue" as const, value } });

function startTrace(traceId: Uint8Array, blob: number): StartTraceRequest {
  return create(StartTraceRequestSchema, { traceId, spanId: newSpanId(), name: "big", serviceName: "near-limit", attributes: [{ key: "blob", value: text("x".repeat(blob)) }] });
}

async function storedEvents(traceId: Uint8Array): Promise<number> {
  const [row] = await e2e.db.sql<{ n: number }[]>`select count(*)::int4 as n from events where trace_id = ${Buffer.from(traceId)}`;
  return row!.n;
}

/** Reads the whole trace over gRPC (the send limit applies), by GetTraceEvents pages and by WatchTrace. */
async function readOverGrpc(traceId: Uint8Array): Promise<{ paged: string[]; watched: string[] }> {
  const paged: string[] = [];
  let pageToken = "";
  do {
    const page = await e2e.client.getTraceEvents({ traceId, pageToken });
    for (const event of page.events) paged.push(event.type);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  const watched: string[] = [];
  const watch = new AbortController();
  try {
    for await (const response of e2e.client.watchTrace({ traceId }, { signal: watch.signal, timeoutMs: 10_000 })) {
      watched.push(response.event!.type);
      if (watched.length === paged.length) watch.abort();
    }
  } catch (error) {
    if (!watch.signal.aborted) throw error;
  }
  return { paged, watched };
}

describe("an event no gRPC answer could carry", () => {
  it("is refused with its command when a StartTrace just under the limit would store it, and nothing is stored", async () => {
    const traceId = newTraceId();
    // Within the receive limit by 40 bytes.
    const blob = 65_000;
    const request = startTrace(traceId, blob - (toBinary(StartTraceRequestSchema, startTrace(traceId, blob)).length - (LIMIT - 40)));
    expect(toBinary(StartTraceRequestSchema, request).length).toBe(LIMIT - 40);

    const thrown = await e2e.client.startTrace(request).catch((error: unknown) => error);
    const seen = connectError(thrown);
    expect(seen).toMatchObject({ code: "resource_exhausted", reason: "EVENT_TOO_LARGE", domain: "traceledger.dev" });
    expect(seen.metadata).toMatchObject({ event_type: "SpanStarted", max_event_bytes: String(LIMIT - 1024), max_message_bytes: String(LIMIT) });
    expect(Number(seen.metadata.event_bytes)).toBeGreaterThan(LIMIT - 1024);
    expect(await storedEvents(traceId)).toBe(0);
    expect((await e2e.client.getTraceEvents({ traceId })).events).toHaveLength(0);

    // The trace is as if the call had not been made: the same ids start it with a smaller span.
    await e2e.client.startTrace({ ...request, attributes: [] });
    expect(await readOverGrpc(traceId)).toEqual({ paged: ["traceledger.v1.TraceStarted", "traceledger.v1.SpanStarted"], watched: ["traceledger.v1.TraceStarted", "traceledger.v1.SpanStarted"] });
  });

  it("is stored up to the largest size the refusal names, and that event is read over gRPC by pages and by a watch", async () => {
    const probe = startTrace(newTraceId(), 65_000);
    const refused = connectError(await e2e.client.startTrace(probe).then(
      () => undefined,
      (error: unknown) => error,
    ));
    const over = Number(refused.metadata.event_bytes) - Number(refused.metadata.max_event_bytes);
    expect(over).toBeGreaterThan(0);

    // One byte less than that is exactly the largest event kept (every length prefix stays 3 bytes long).
    const traceId = newTraceId();
    const justOver = startTrace(traceId, 65_000 - over + 1);
    expect(connectError(await e2e.client.startTrace(justOver).catch((error: unknown) => error)).metadata.event_bytes).toBe(String(LIMIT - 1024 + 1));
    const largest = startTrace(traceId, 65_000 - over);
    await e2e.client.startTrace(largest);
    const [row] = await e2e.db.sql<{ n: number }[]>`select max(octet_length(payload))::int4 as n from events where trace_id = ${Buffer.from(traceId)}`;
    expect(row!.n).toBe(LIMIT - 1024);
    const { paged, watched } = await readOverGrpc(traceId);
    expect(paged).toEqual(["traceledger.v1.TraceStarted", "traceledger.v1.SpanStarted"]);
    expect(watched).toEqual(paged);
  });

  it("refuses that command of an IngestBatch alone: one result each, and the next command sees the trace as it was", async () => {
    const traceId = newTraceId();
    const other = newTraceId();
    const big = startTrace(traceId, LIMIT - 800);
    const batch = await e2e.client.ingestBatch({
      commands: [
        { command: { case: "startTrace", value: big } },
        // The same trace again, small: it must not find the refused command's root.
        { command: { case: "startTrace", value: { traceId, spanId: newSpanId(), name: "small", serviceName: "near-limit" } } },
        { command: { case: "startTrace", value: { traceId: other, spanId: newSpanId(), name: "other", serviceName: "near-limit" } } },
      ],
    });
    expect(batch.results.map((r) => r.result.case)).toEqual(["error", "startTrace", "startTrace"]);
    expect(batch.results[0]!.result.value).toMatchObject({ code: Code.ResourceExhausted, reason: "EVENT_TOO_LARGE" });
    expect(batch.results[1]!.result.value).toMatchObject({ traceVersion: 2n });
    const trace = await e2e.client.getTrace({ traceId });
    expect(trace.trace!.spans.map((s) => s.name)).toEqual(["small"]);
    expect((await readOverGrpc(traceId)).paged).toHaveLength(2);
    expect((await readOverGrpc(other)).paged).toHaveLength(2);
  });

  it("rejects an OTLP span whose huge service.name, stored twice, would pass the limit, in partial_success; the rest is stored and readable", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    const child = newSpanId();
    const elsewhere = newTraceId();
    const span = (id: Uint8Array, parent: Uint8Array | undefined, trace = traceId) => ({
      traceId: trace,
      spanId: id,
      ...(parent ? { parentSpanId: parent } : {}),
      name: "op",
      kind: 2,
      startTimeUnixNano: T0,
      endTimeUnixNano: T0 + 1_000n,
    });
    const body = toBinary(
      ExportTraceServiceRequestSchema,
      create(ExportTraceServiceRequestSchema, {
        resourceSpans: [
          // 40,000 bytes of service.name: a request of ~40 KB, a SpanStarted of ~80 KB.
          { resource: { attributes: [{ key: "service.name", value: text("s".repeat(40_000)) }] }, scopeSpans: [{ spans: [span(root, undefined)] }] },
          { resource: { attributes: [{ key: "service.name", value: text("small") }] }, scopeSpans: [{ spans: [span(child, root), span(newSpanId(), undefined, elsewhere)] }] },
        ],
      }),
    );
    expect(body.length).toBeLessThan(LIMIT);
    const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body });
    expect(response.status).toBe(200);
    const answer = fromBinary(ExportTraceServiceResponseSchema, new Uint8Array(await response.arrayBuffer()));
    expect(answer.partialSuccess?.rejectedSpans).toBe(1n);
    expect(answer.partialSuccess?.errorMessage).toMatch(/^1 of 3 spans rejected: EVENT_TOO_LARGE x1 \(e\.g\. span [0-9a-f]{16}: /);

    // The child is stored (its parent, not in the trace, as remote), and the trace begins with its service.
    const trace = await e2e.client.getTrace({ traceId });
    expect(trace.trace!.spans.map((s) => [s.name, s.serviceName, s.parentIsRemote])).toEqual([["op", "small", true]]);
    for (const id of [traceId, elsewhere]) {
      const { paged, watched } = await readOverGrpc(id);
      expect(paged.slice(0, 2)).toEqual(["traceledger.v1.TraceStarted", "traceledger.v1.SpanStarted"]);
      expect(watched).toEqual(paged);
    }
  });
});
