// Reads of a trace's log are bounded in bytes as well as in events
// (EventStore.readStream's maxBytes): GetTraceEvents reads about a page's budget
// instead of up to 5,001 events, and WatchTrace holds at most a budget's worth per
// watcher. A watcher whose page was cut by bytes reads on at once rather than wait
// for the next write. Here the budget is 128 KiB (half of a 256 KiB message limit)
// and each event carries ~60 KB; a page of small events counts their envelopes too,
// which are as large as the events themselves.

import { describe, expect, it } from "vitest";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";

const e2e = serverPerFile({ TRACELEDGER_MAX_MESSAGE_BYTES: String(256 * 1024), OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: "100000" });

describe("a trace of large events", () => {
  it("is watched to its end, page after page cut by bytes, and paged by GetTraceEvents", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    await e2e.client.startSpan({ traceId, spanId: root, name: "big", serviceName: "bytes" });
    const big = "x".repeat(60_000);
    for (let i = 0; i < 8; i++) {
      await e2e.client.addSpanEvent({ traceId, spanId: root, eventId: `e${i}`, name: "chunk", attributes: [{ key: "data", value: { value: { case: "stringValue", value: big } } }] });
    }
    await e2e.client.endSpan({ traceId, spanId: root });

    const seen: string[] = [];
    for await (const response of e2e.client.watchTrace({ traceId, afterVersion: 0n }, { timeoutMs: 15_000 })) seen.push(response.event!.type);
    expect(seen).toHaveLength(12);
    expect(seen.at(-1)).toBe("traceledger.v1.TraceCompleted");

    const pages: number[] = [];
    let pageToken = "";
    do {
      const page = await e2e.client.getTraceEvents({ traceId, pageToken });
      pages.push(page.events.length);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(pages.reduce((a, b) => a + b, 0)).toBe(12);
    // ~60 KB each against a 128 KiB page: two large events a page, with the small ones beside them.
    expect(Math.max(...pages)).toBeLessThanOrEqual(4);
    expect(pages.length).toBeGreaterThanOrEqual(4);
  });

  it("pages thousands of small events within the answer limit, whatever page_size asks", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    await e2e.client.startSpan({ traceId, spanId: root, name: "many", serviceName: "bytes" });
    for (let n = 0; n < 3; n++) {
      const spans = Array.from({ length: 500 }, () => newSpanId());
      await e2e.client.ingestBatch({
        commands: spans.flatMap((spanId) => [
          { command: { case: "startSpan" as const, value: { traceId, parentSpanId: root, spanId, name: "s", serviceName: "bytes" } } },
          { command: { case: "endSpan" as const, value: { traceId, spanId } } },
        ]),
      });
    }
    let read = 0;
    let pageToken = "";
    do {
      // Before envelopes were counted, a page of 5,000 was 2,000+ events and over 256 KiB: RESOURCE_EXHAUSTED.
      const page = await e2e.client.getTraceEvents({ traceId, pageSize: 5000, pageToken });
      read += page.events.length;
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(read).toBe(3002);
  });

  it("answers a Connect JSON client what a binary client gets, though its JSON is larger than the message limit", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    // 60,000 control characters: 60 KB in protobuf, 360 KB escaped in JSON, past the 256 KiB limit.
    const control = "\u0001".repeat(60_000);
    await e2e.client.startSpan({ traceId, spanId: root, name: "escaped", serviceName: "bytes", attributes: [{ key: "data", value: { value: { case: "stringValue", value: control } } }] });
    const post = (method: string, body: object) =>
      fetch(`http://${e2e.server.httpAddress}/traceledger.v1.TracingService/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const id = Buffer.from(traceId).toString("base64");
    const trace = await post("GetTrace", { traceId: id });
    expect(trace.status).toBe(200);
    const text = await trace.text();
    expect(text.length).toBeGreaterThan(256 * 1024);
    const view = JSON.parse(text) as { trace: { spans: { attributes: { value: { stringValue: string } }[] }[] } };
    expect(view.trace.spans[0]!.attributes[0]!.value.stringValue).toBe(control);
    const events = await post("GetTraceEvents", { traceId: id });
    expect(events.status).toBe(200);
    expect(((await events.json()) as { events: unknown[] }).events).toHaveLength(2);
  });
});
