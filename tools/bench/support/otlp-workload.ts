// The OTLP workload of otlp-ingest.ts, shared by the load process (which sends
// it) and the ceiling (which stores the very events the server stores for it).
//
// One request is what a service's BatchSpanProcessor sends with its default
// batch size: one resource (13 attributes, as the Node SDK's resource
// detectors produce) with 512 spans of 64 traces, 8 spans each, in the order
// they ended (children first, the root last):
//   SERVER  "GET /orders/{id}" (8 HTTP attributes)
//   INTERNAL "load order" (3 attributes) and "render" (2)
//   CLIENT  4 x "SELECT orders" (6 DB attributes, a SQL text of ~80 characters)
//   CLIENT  "GET /inventory" (6 HTTP client attributes)
// One span in 8 has an event ("cache.miss"); one trace in 8 has an exception
// (a ~600-character stack) and status ERROR on a DB span and the root.
//
// Requests differ only in their 64 trace ids: the template is encoded once with
// protobuf-es, and each request copies it and writes fresh ids at the offsets
// where the template's ids are, so a request is exactly what protobuf-es (and
// the stock exporter, which writes the same fields) would encode.

import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import type { OtlpKeyValueSchema, OtlpSpanSchema } from "@traceledger/proto/otlp";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { randomBytes } from "node:crypto";

export const SPANS_PER_REQUEST = 512;
export const SPANS_PER_TRACE = 8;
export const TRACES_PER_REQUEST = SPANS_PER_REQUEST / SPANS_PER_TRACE;

type KeyValueInit = MessageInitShape<typeof OtlpKeyValueSchema>;
type SpanInit = MessageInitShape<typeof OtlpSpanSchema>;

const str = (key: string, value: string): KeyValueInit => ({ key, value: { value: { case: "stringValue", value } } });
const int = (key: string, value: number): KeyValueInit => ({ key, value: { value: { case: "intValue", value: BigInt(value) } } });

const RESOURCE: KeyValueInit[] = [
  str("service.name", "orders"),
  str("service.version", "2.14.3"),
  str("service.instance.id", "0c2f1a3e-6d4b-4f0e-9a51-8b7e2d9c4f10"),
  str("telemetry.sdk.name", "opentelemetry"),
  str("telemetry.sdk.language", "nodejs"),
  str("telemetry.sdk.version", "2.12.1"),
  str("host.name", "orders-7d9f8b6c5-xk2lp"),
  str("host.arch", "amd64"),
  str("os.type", "linux"),
  int("process.pid", 48213),
  str("process.runtime.name", "nodejs"),
  str("process.runtime.version", "20.20.2"),
  str("deployment.environment.name", "production"),
];

const STACK = Array.from({ length: 8 }, (_, i) => `    at Query.handleError (/srv/app/node_modules/pg/lib/query.js:${120 + i}:${17 + i})`).join("\n");

function spanId(trace: number, k: number): Uint8Array {
  const id = Buffer.alloc(8);
  id.writeUInt32BE(0x5a000000 + trace, 0);
  id.writeUInt32BE(k + 1, 4);
  return id;
}

function traceSpans(traceId: Uint8Array, trace: number, t0: bigint): SpanInit[] {
  const us = (n: number) => t0 + BigInt(trace) * 1_000_000n + BigInt(n) * 1_000n;
  const failed = trace % 8 === 3;
  const root = spanId(trace, 0);
  const load = spanId(trace, 1);
  const render = spanId(trace, 2);
  const common = { traceId, flags: 0x101 };
  const db = (k: number): SpanInit => ({
    ...common,
    spanId: spanId(trace, 2 + k),
    parentSpanId: load,
    name: "SELECT orders",
    kind: 3,
    startTimeUnixNano: us(100 + k * 900),
    endTimeUnixNano: us(900 + k * 900),
    attributes: [
      str("db.system.name", "postgresql"),
      str("db.namespace", "orders"),
      str("db.operation.name", "SELECT"),
      str("db.query.text", "select id, status, total from orders where customer_id = $1 and created_at > $2"),
      str("server.address", "orders-db.internal"),
      int("server.port", 5432),
    ],
    events: k === 2 && trace % 2 === 0 ? [{ timeUnixNano: us(150 + k * 900), name: "cache.miss", attributes: [str("cache.key", `order:${trace}`)] }] : [],
    ...(failed && k === 4
      ? {
          events: [
            {
              timeUnixNano: us(850 + k * 900),
              name: "exception",
              attributes: [str("exception.type", "DatabaseError"), str("exception.message", "canceling statement due to statement timeout"), str("exception.stacktrace", `DatabaseError: canceling statement due to statement timeout\n${STACK}`)],
            },
          ],
          status: { code: 2, message: "statement timeout" },
        }
      : {}),
  });
  // End order: the DB spans, then load, then the inventory call, render, and the root last.
  return [
    db(1),
    db(2),
    db(3),
    db(4),
    {
      ...common,
      spanId: load,
      parentSpanId: root,
      name: "load order",
      kind: 1,
      startTimeUnixNano: us(50),
      endTimeUnixNano: us(3700),
      attributes: [str("code.function.name", "OrderRepository.load"), str("app.order.id", `o-${100000 + trace}`), int("app.order.items", 3)],
    },
    {
      ...common,
      spanId: spanId(trace, 7),
      parentSpanId: root,
      name: "GET /inventory",
      kind: 3,
      startTimeUnixNano: us(3800),
      endTimeUnixNano: us(5200),
      attributes: [
        str("http.request.method", "GET"),
        str("url.full", `http://inventory.internal/items?order=${trace}`),
        str("server.address", "inventory.internal"),
        int("server.port", 80),
        int("http.response.status_code", 200),
        str("network.protocol.version", "1.1"),
      ],
      events: trace % 4 === 1 ? [{ timeUnixNano: us(4000), name: "retry", attributes: [int("attempt", 1)] }] : [],
    },
    {
      ...common,
      spanId: render,
      parentSpanId: root,
      name: "render",
      kind: 1,
      startTimeUnixNano: us(5300),
      endTimeUnixNano: us(5600),
      attributes: [str("code.function.name", "renderOrder"), str("template", "order.html")],
    },
    {
      ...common,
      spanId: root,
      name: "GET /orders/{id}",
      kind: 2,
      startTimeUnixNano: us(0),
      endTimeUnixNano: us(5700),
      attributes: [
        str("http.request.method", "GET"),
        str("url.path", `/orders/${100000 + trace}`),
        str("url.scheme", "https"),
        str("http.route", "/orders/{id}"),
        int("http.response.status_code", failed ? 500 : 200),
        str("server.address", "shop.example.com"),
        str("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        str("client.address", "203.0.113.17"),
      ],
      status: failed ? { code: 2, message: "" } : undefined,
    },
  ];
}

export interface OtlpTemplate {
  readonly bytes: Buffer;
  /** Per trace slot, the byte offsets of its trace id. */
  readonly offsets: number[][];
}

/** The encoded request with TRACES_PER_REQUEST placeholder trace ids, and where they are. */
export function otlpTemplate(t0: bigint): OtlpTemplate {
  const ids = Array.from({ length: TRACES_PER_REQUEST }, () => randomBytes(16));
  const spans = ids.flatMap((id, trace) => traceSpans(id, trace, t0));
  const request = create(ExportTraceServiceRequestSchema, {
    resourceSpans: [{ resource: { attributes: RESOURCE }, scopeSpans: [{ scope: { name: "@opentelemetry/instrumentation-http", version: "0.203.0" }, spans }] }],
  });
  const bytes = Buffer.from(toBinary(ExportTraceServiceRequestSchema, request));
  const offsets = ids.map((id) => {
    const found: number[] = [];
    for (let at = bytes.indexOf(id); at >= 0; at = bytes.indexOf(id, at + 16)) found.push(at);
    if (found.length !== SPANS_PER_TRACE) throw new Error(`trace id found ${found.length} times, expected ${SPANS_PER_TRACE}`);
    return found;
  });
  return { bytes, offsets };
}

/** A copy of the template with the given trace ids (one per slot). */
export function otlpRequest(t: OtlpTemplate, traceIds: readonly Uint8Array[]): Buffer {
  const out = Buffer.from(t.bytes);
  t.offsets.forEach((offsets, slot) => {
    for (const at of offsets) out.set(traceIds[slot]!, at);
  });
  return out;
}
