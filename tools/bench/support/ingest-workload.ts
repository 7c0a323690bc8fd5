// The IngestBatch workload of ingest-throughput.ts, shared by the load process
// (which sends it) and the ceiling (which stores the very events the server
// would store for it).
//
// A trace: StartTrace (root, 5 attributes + 2 resource attributes), 4 StartSpan
// children (3-4 attributes each), 4 EndSpan children (one with an attribute) and
// EndSpan of the root (with the response status code). The server stores 12
// events for it: TraceStarted, 5 SpanStarted, 5 SpanEnded and TraceCompleted.
//
// Layouts of a 500-command batch (TRACES_PER_BATCH = 50 traces):
//   lifecycle  the starts of 50 new traces + the ends of the 50 traces this lane
//              started in its previous batch (spans are reported when they start
//              and when they end, as a span-lifecycle client does); a lane's first
//              batch has the starts only.
//   whole      50 complete traces, starts then ends.

import { create } from "@bufbuild/protobuf";
import { KeyValueSchema, SpanKind, StatusCode, TracingCommandSchema, type KeyValue, type TracingCommand } from "@traceledger/proto";

export const TRACES_PER_BATCH = 50;
export const CHILDREN = 4;
/** Events the server stores per complete trace. */
export const EVENTS_PER_TRACE = 2 + 2 * (CHILDREN + 1);

export type Layout = "lifecycle" | "whole";

const str = (key: string, value: string): KeyValue => create(KeyValueSchema, { key, value: { value: { case: "stringValue", value } } });
const int = (key: string, value: bigint): KeyValue => create(KeyValueSchema, { key, value: { value: { case: "intValue", value } } });

const spanId = (k: number) => Uint8Array.from([0x51, 0xa7, 0x00, 0x00, 0x00, 0x00, 0x00, k + 1]);
const MS = 1_000_000n;

export function traceStarts(traceId: Uint8Array, t0: bigint, n: number): TracingCommand[] {
  const root = create(TracingCommandSchema, {
    command: {
      case: "startTrace",
      value: {
        traceId,
        spanId: spanId(0),
        name: ["POST /checkout", "GET /orders/{id}", "GET /cart", "POST /payments"][n % 4]!,
        kind: SpanKind.SERVER,
        serviceName: ["checkout", "orders", "cart", "payments"][n % 4]!,
        startTimeUnixNano: t0,
        attributes: [
          str("http.request.method", n % 4 === 1 || n % 4 === 2 ? "GET" : "POST"),
          str("url.path", `/orders/${100000 + (n % 90000)}`),
          str("http.route", "/orders/{id}"),
          str("server.address", "shop.example.com"),
          str("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) bench"),
        ],
        resourceAttributes: [str("service.version", "1.4.2"), str("deployment.environment.name", "production")],
        scopeName: "@opentelemetry/instrumentation-http",
      },
    },
  });
  const children = Array.from({ length: CHILDREN }, (_, k) =>
    create(TracingCommandSchema, {
      command: {
        case: "startSpan",
        value: {
          traceId,
          spanId: spanId(k + 1),
          parentSpanId: spanId(0),
          name: ["SELECT orders", "GET /inventory/{sku}", "publish order.created", "redis GET cart"][k % 4]!,
          kind: k === 2 ? SpanKind.PRODUCER : SpanKind.CLIENT,
          serviceName: ["checkout", "orders", "cart", "payments"][n % 4]!,
          startTimeUnixNano: t0 + BigInt(k + 1) * MS,
          attributes: [
            str(k === 0 ? "db.system" : k === 3 ? "db.system" : "http.request.method", k === 0 ? "postgresql" : k === 3 ? "redis" : "GET"),
            str("server.address", ["orders-db.internal", "inventory.internal", "kafka-1.internal", "cache.internal"][k % 4]!),
            int("server.port", [5432n, 8080n, 9092n, 6379n][k % 4]!),
            ...(k === 0 ? [str("db.query.text", "select * from orders where id = $1")] : []),
          ],
          scopeName: "@opentelemetry/instrumentation-undici",
        },
      },
    }),
  );
  return [root, ...children];
}

export function traceEnds(traceId: Uint8Array, t0: bigint): TracingCommand[] {
  const children = Array.from({ length: CHILDREN }, (_, k) =>
    create(TracingCommandSchema, {
      command: {
        case: "endSpan",
        value: {
          traceId,
          spanId: spanId(k + 1),
          endTimeUnixNano: t0 + BigInt(k + 1) * MS + 3n * MS,
          status: { code: StatusCode.OK },
          attributes: k === 1 ? [int("http.response.status_code", 200n)] : [],
        },
      },
    }),
  );
  const root = create(TracingCommandSchema, {
    command: {
      case: "endSpan",
      value: { traceId, spanId: spanId(0), endTimeUnixNano: t0 + 25n * MS, status: { code: StatusCode.OK }, attributes: [int("http.response.status_code", 200n)] },
    },
  });
  return [...children, root];
}

export interface BatchShape {
  readonly commands: TracingCommand[];
  /** Per command: its trace slot (0..TRACES_PER_BATCH-1 new traces, TRACES_PER_BATCH.. traces ending). */
  readonly slots: number[];
}

/** A batch for `newIds` (started here) and `endingIds` (ended here), in the layout's order. */
export function batchShape(layout: Layout, newIds: readonly Uint8Array[], endingIds: readonly Uint8Array[], t0: bigint): BatchShape {
  const commands: TracingCommand[] = [];
  const slots: number[] = [];
  newIds.forEach((id, i) => {
    const starts = traceStarts(id, t0, i);
    commands.push(...starts);
    slots.push(...starts.map(() => i));
    if (layout === "whole") {
      const ends = traceEnds(id, t0);
      commands.push(...ends);
      slots.push(...ends.map(() => i));
    }
  });
  endingIds.forEach((id, i) => {
    const ends = traceEnds(id, t0);
    commands.push(...ends);
    slots.push(...ends.map(() => TRACES_PER_BATCH + i));
  });
  return { commands, slots };
}
