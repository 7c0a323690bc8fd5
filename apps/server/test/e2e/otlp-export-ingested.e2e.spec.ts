// Spans that came in over OTLP (POST /v1/traces), out again through the OTLP
// export to a real local receiver: what the reporter sent leaves as it was sent
// (Span.flags, an exception event's attributes, the resource and its dropped
// count), and a late span of a trace begun elsewhere, which the saga closed,
// still leaves.

import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema, type OtlpResourceSchema, type OtlpSpanSchema } from "@traceledger/proto/otlp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { sendTrace } from "./support/export-traces.js";
import { hex, newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";
import { spanKey, startOtlpHttpReceiver, type OtlpReceiver } from "./support/otlp-receiver.js";

let db: TestDatabase;
let server: Traceledger;
let receiver: OtlpReceiver;
let client: TracingClient;

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startOtlpHttpReceiver();
  server = await startServer(db.url, {
    OTLP_ENDPOINT: receiver.url,
    OTLP_EXPORT_MAX_DELAY_MS: "20",
    OTLP_EXPORT_RETRY_INITIAL_MS: "10",
    OTLP_EXPORT_RETRY_MAX_MS: "50",
    // The saga closes a trace without a local root soon.
    MONITORING_TICK_MS: "50",
    MONITORING_TRACE_IDLE_TIMEOUT_MS: "500",
  });
  client = connectClient(server.grpcAddress);
});

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await db?.drop();
});

type SpanInit = MessageInitShape<typeof OtlpSpanSchema>;
type ResourceInit = MessageInitShape<typeof OtlpResourceSchema>;
const str = (key: string, value: string) => ({ key, value: { value: { case: "stringValue" as const, value } } });
const bool = (key: string, value: boolean) => ({ key, value: { value: { case: "boolValue" as const, value } } });

async function ingest(spans: SpanInit[], resource: ResourceInit = { attributes: [str("service.name", "downstream")] }) {
  const body = toBinary(ExportTraceServiceRequestSchema, create(ExportTraceServiceRequestSchema, { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: "probe-scope" }, spans }] }] }));
  const response = await fetch(`http://${server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body });
  expect(response.status).toBe(200);
}

const keyOf = (span: SpanInit) => spanKey(hex(span.traceId as Uint8Array), hex(span.spanId as Uint8Array));

/** Ingests the spans and waits for the export to deliver them. */
async function roundTrip(spans: SpanInit[], resource?: ResourceInit) {
  await ingest(spans, resource);
  const keys = spans.map(keyOf);
  await receiver.waitForSpans(keys);
  return keys.map((k) => receiver.spans.get(k)!);
}

describe("a late span of a trace begun elsewhere", () => {
  it("leaves after the saga closed the trace: the trace completes again, and only the new span is sent", async () => {
    const traceId = newTraceId();
    const remoteParent = newSpanId(); // in a service that does not report here
    const first: SpanInit = { traceId, spanId: newSpanId(), parentSpanId: remoteParent, name: "handle request", kind: 2, startTimeUnixNano: nowNanos(), flags: 0x301 };
    first.endTimeUnixNano = (first.startTimeUnixNano as bigint) + 1_000_000n;
    await ingest([first]);
    // No local root: the saga closes the idle trace, and that completion exports the span.
    await receiver.waitForSpans([keyOf(first)], 15_000);

    // Another span of the trace, ended later (a background job), in the SDK's next batch.
    const t = nowNanos();
    const late: SpanInit = { traceId, spanId: newSpanId(), parentSpanId: remoteParent, name: "background job", kind: 1, startTimeUnixNano: t, endTimeUnixNano: t + 1_000_000n, flags: 0x301 };
    await ingest([late]);
    await receiver.waitForSpans([keyOf(late)], 5_000);
    expect(receiver.spans.get(keyOf(late))!.span.name).toBe("background job");
    expect(receiver.spans.get(keyOf(first))!.times).toBe(1);

    const view = (await client.getTrace({ traceId })).trace!;
    expect(view.spans.map((s) => s.name).sort()).toEqual(["background job", "handle request"]);
    const events = (await client.getTraceEvents({ traceId, pageSize: 100 })).events.map((e) => e.event?.event.case);
    expect(events).toEqual(["traceStarted", "spanStarted", "spanEnded", "traceCompleted", "spanStarted", "spanEnded", "traceCompleted"]);
  });
});

describe("what an OTLP reporter sent leaves as it was sent", () => {
  const T0 = 1_764_000_000_000_000_000n;

  it("Span.flags: the is-remote bits unset when the reporter left them unset, as given when it set them", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    const spans = await roundTrip([
      { traceId, spanId: root, name: "root", kind: 2, startTimeUnixNano: T0, endTimeUnixNano: T0 + 100n, flags: 0x01 },
      { traceId, spanId: newSpanId(), parentSpanId: root, name: "child", startTimeUnixNano: T0 + 1n, endTimeUnixNano: T0 + 50n, flags: 0x01 },
      { traceId, spanId: newSpanId(), parentSpanId: newSpanId(), name: "child of a parent never reported", startTimeUnixNano: T0 + 1n, endTimeUnixNano: T0 + 50n, flags: 0x01 },
      { traceId, spanId: newSpanId(), parentSpanId: root, name: "child, said local", startTimeUnixNano: T0 + 1n, endTimeUnixNano: T0 + 50n, flags: 0x101 },
      { traceId, spanId: newSpanId(), parentSpanId: newSpanId(), name: "child, said remote", startTimeUnixNano: T0 + 1n, endTimeUnixNano: T0 + 50n, flags: 0x301 },
    ]);
    expect(spans.map((s) => `0x${s.span.flags.toString(16)}`)).toEqual(["0x1", "0x1", "0x1", "0x101", "0x301"]);
  });

  it("Span.flags of lifecycle spans say whether the parent is remote, which the lifecycle API knows", async () => {
    const sent = await sendTrace(client, { children: 1 });
    await receiver.waitForSpans(sent.keys);
    expect(sent.keys.map((k) => `0x${receiver.spans.get(k)!.span.flags.toString(16)}`)).toEqual(["0x101", "0x101"]);
  });

  it("an exception event's attributes: an exception.escaped of false, or a string, as received", async () => {
    const traceId = newTraceId();
    const [span] = await roundTrip([
      {
        traceId,
        spanId: newSpanId(),
        name: "root",
        startTimeUnixNano: T0,
        endTimeUnixNano: T0 + 100n,
        events: [
          { timeUnixNano: T0 + 3n, name: "exception", attributes: [str("exception.type", "E"), str("exception.message", "m"), bool("exception.escaped", false), str("extra", "x")] },
          { timeUnixNano: T0 + 4n, name: "exception", attributes: [str("exception.type", "E"), str("exception.escaped", "true")] },
          { timeUnixNano: T0 + 5n, name: "exception", attributes: [str("exception.type", "E"), bool("exception.escaped", true)] },
        ],
      },
    ]);
    const shown = span!.span.events.map((e) => e.attributes.map((kv) => `${kv.key}=${kv.value?.value.case}:${String(kv.value?.value.value)}`));
    expect(shown).toEqual([
      ["exception.type=stringValue:E", "exception.message=stringValue:m", "exception.escaped=boolValue:false", "extra=stringValue:x"],
      ["exception.type=stringValue:E", "exception.escaped=stringValue:true"],
      ["exception.type=stringValue:E", "exception.escaped=boolValue:true"],
    ]);
  });

  it("the resource: every attribute (exempt from the span limits), its own dropped count, none of it on the span", async () => {
    const traceId = newTraceId();
    const resourceAttributes = [str("service.name", "many"), ...Array.from({ length: 130 }, (_, i) => str(`r${i}`, "v"))];
    const [span] = await roundTrip(
      [{ traceId, spanId: newSpanId(), name: "root", startTimeUnixNano: T0, endTimeUnixNano: T0 + 100n, attributes: [str("a", "b")] }],
      { attributes: resourceAttributes, droppedAttributesCount: 1 },
    );
    expect({
      resourceAttributes: span!.resource?.attributes.length,
      resourceDropped: span!.resource?.droppedAttributesCount,
      spanAttributes: span!.span.attributes.length,
      spanDropped: span!.span.droppedAttributesCount,
    }).toEqual({ resourceAttributes: 131, resourceDropped: 1, spanAttributes: 1, spanDropped: 0 });
  });
});
