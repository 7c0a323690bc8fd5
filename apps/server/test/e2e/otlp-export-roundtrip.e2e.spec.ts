// The export held against OpenTelemetry's own JavaScript serialisation. The
// same spans, made by the stock SDK, travel two ways: the stock OTLP/HTTP
// exporter sends them straight to one receiver; and it sends them into
// traceledger (OTLP ingest), which stores them as events and exports them
// (this exporter) to a second receiver. What the two receivers hold must be
// the same spans: ids, parents, names, kinds, times, attributes, events (the
// exception too), links, status, resource and scope, with their schema URLs.

import { context, SpanKind as OtelSpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { OtlpAnyValue, OtlpKeyValue } from "@traceledger/proto/otlp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { startServer } from "./support/in-process-server.js";
import { startOtlpHttpReceiver, type OtlpReceiver, type ReceivedSpan } from "./support/otlp-receiver.js";
import { exportSpans, stockExporter, stockTracer } from "./support/stock-otel.js";
import { OTLPTraceExporter as OtlpHttpProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";

let db: TestDatabase;
let server: Traceledger;
let direct: OtlpReceiver;
let throughTraceledger: OtlpReceiver;

beforeAll(async () => {
  db = await createTestDatabase();
  direct = await startOtlpHttpReceiver();
  throughTraceledger = await startOtlpHttpReceiver();
  server = await startServer(db.url, { OTLP_ENDPOINT: throughTraceledger.url, OTLP_EXPORT_MAX_DELAY_MS: "20" });
});

afterAll(async () => {
  await server?.stop();
  await direct?.close();
  await throughTraceledger?.close();
  await db?.drop();
});

function value(any: OtlpAnyValue | undefined): unknown {
  const v = any?.value;
  if (!v || v.case === undefined) return null;
  if (v.case === "arrayValue") return v.value.values.map(value);
  if (v.case === "kvlistValue") return attributes(v.value.values);
  if (v.case === "bytesValue") return Buffer.from(v.value).toString("hex");
  return typeof v.value === "bigint" ? `${v.value}n` : v.value;
}

function attributes(list: readonly OtlpKeyValue[]): Record<string, unknown> {
  return Object.fromEntries([...list].sort((a, b) => a.key.localeCompare(b.key)).map((kv) => [kv.key, value(kv.value)]));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** What a backend would keep of a span, in a comparable shape. */
function comparable(received: ReceivedSpan) {
  const s = received.span;
  return {
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentSpanId: hex(s.parentSpanId),
    traceState: s.traceState,
    flags: s.flags,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: attributes(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({ time: e.timeUnixNano, name: e.name, attributes: attributes(e.attributes) })),
    links: s.links.map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), traceState: l.traceState, flags: l.flags, attributes: attributes(l.attributes) })),
    status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
    resource: attributes(received.resource?.attributes ?? []),
    resourceDroppedAttributesCount: received.resource?.droppedAttributesCount ?? 0,
    resourceSchemaUrl: received.resourceSchemaUrl,
    scope: received.scope?.name,
    scopeVersion: received.scope?.version,
    scopeAttributes: attributes(received.scope?.attributes ?? []),
    scopeSchemaUrl: received.scopeSchemaUrl,
  };
}

describe("spans of the stock OpenTelemetry SDK, through traceledger and out again", () => {
  it("leave traceledger as the stock exporter itself writes them", async () => {
    const sdk = stockTracer("shop-roundtrip", { resource: "https://opentelemetry.io/schemas/1.24.0", scope: "https://opentelemetry.io/schemas/1.26.0" });
    const { tracer } = sdk;
    const root = tracer.startSpan("POST /checkout", {
      kind: OtelSpanKind.SERVER,
      attributes: { "http.request.method": "POST", retries: 2, ratio: 0.5, cached: false, tags: ["a", "b"] },
    });
    const child = tracer.startSpan(
      "charge card",
      { kind: OtelSpanKind.CLIENT, links: [{ context: { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b9c7c989f97918e1", traceFlags: 1 }, attributes: { "link.kind": "batch" } }] },
      trace.setSpan(context.active(), root),
    );
    child.addEvent("retry", { attempt: 1 });
    child.recordException(Object.assign(new Error("card declined"), { name: "CardDeclined" }));
    child.setStatus({ code: SpanStatusCode.ERROR, message: "card declined" });
    const grandchild = tracer.startSpan("SELECT cards", { kind: OtelSpanKind.INTERNAL }, trace.setSpan(context.active(), child));
    grandchild.end();
    child.end();
    root.setAttribute("http.response.status_code", 502);
    root.end();
    const spans = sdk.take();

    const straight = new OtlpHttpProtoExporter({ url: direct.url });
    expect(await exportSpans(straight, spans)).toMatchObject({ code: 0 });
    await straight.shutdown();
    const into = stockExporter("http/protobuf", server);
    expect(await exportSpans(into, spans)).toMatchObject({ code: 0 });
    await into.shutdown();
    await sdk.shutdown();

    const keys = [...direct.spans.keys()];
    expect(keys).toHaveLength(3);
    await throughTraceledger.waitForSpans(keys);
    for (const key of keys) {
      const stock = comparable(direct.spans.get(key)!);
      const ours = comparable(throughTraceledger.spans.get(key)!);
      expect({ key, ...ours }).toEqual({ key, ...stock });
    }
    // Not a comparison of empty shapes: the child carries what the SDK recorded.
    const charged = comparable(throughTraceledger.spans.get(`${child.spanContext().traceId}/${child.spanContext().spanId}`)!);
    expect(charged.events.map((e) => e.name)).toEqual(["retry", "exception"]);
    expect(charged.events[1]!.attributes).toMatchObject({ "exception.type": "CardDeclined", "exception.message": "card declined" });
    expect(charged).toMatchObject({
      parentSpanId: root.spanContext().spanId,
      status: { code: 2, message: "card declined" },
      scope: "traceledger-interop",
      scopeVersion: "1.0.0",
      scopeSchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
      resourceSchemaUrl: "https://opentelemetry.io/schemas/1.24.0",
    });
    expect(charged.links).toHaveLength(1);
    expect(charged.resource).toMatchObject({ "service.name": "shop-roundtrip", "deployment.environment.name": "test" });
    expect(throughTraceledger.duplicates()).toBe(0);
  });
});
