// Complete traces sent through the lifecycle API for OTLP export specs: a root
// and its children, with attributes, an event and a link, optionally an error
// (recorded and as status) and an explicit duration (slow traces).

import { SpanKind, StatusCode } from "@traceledger/proto";
import { hex, newSpanId, newTraceId, nowNanos } from "./ids.js";
import type { TracingClient } from "./in-process-server.js";
import { spanKey } from "./otlp-receiver.js";
import { int, text } from "./values.js";

export interface SentTrace {
  readonly traceId: Buffer;
  /** The root first, then the children in order. */
  readonly spanIds: readonly Buffer[];
  /** receiver keys (trace/span hex) of every span. */
  readonly keys: readonly string[];
}

export interface TraceShape {
  /** Children of the root. Default 2. */
  readonly children?: number;
  /** The first child records an error and ends with status ERROR. */
  readonly error?: boolean;
  /** The trace's duration in milliseconds (the root's start is set this far back). Default 5. */
  readonly durationMs?: number;
  readonly service?: string;
  readonly traceId?: Buffer;
}

export async function sendTrace(client: TracingClient, shape: TraceShape = {}): Promise<SentTrace> {
  const traceId = shape.traceId ?? newTraceId();
  const root = newSpanId();
  const end = nowNanos();
  const start = end - BigInt(shape.durationMs ?? 5) * 1_000_000n;
  const service = shape.service ?? "checkout";
  await client.startTrace({
    traceId,
    spanId: root,
    name: "POST /orders",
    kind: SpanKind.SERVER,
    serviceName: service,
    startTimeUnixNano: start,
    attributes: [text("http.request.method", "POST"), int("order.items", 3)],
    resourceAttributes: [text("host.name", "web-1")],
  });
  const children: Buffer[] = [];
  for (let i = 0; i < (shape.children ?? 2); i++) {
    const spanId = newSpanId();
    children.push(spanId);
    const childStart = start + BigInt(i + 1) * 1000n;
    await client.startSpan({
      traceId,
      spanId,
      parentSpanId: root,
      name: `charge ${i}`,
      kind: SpanKind.CLIENT,
      serviceName: "payments",
      startTimeUnixNano: childStart,
      attributes: [int("attempt", i)],
      links: i === 0 ? [{ traceId: newTraceId(), spanId: newSpanId(), attributes: [text("link.reason", "retry of")] }] : [],
    });
    await client.setSpanAttributes({ traceId, spanId, updateId: "u1", attributes: [text("card.brand", "visa")] });
    await client.addSpanEvent({ traceId, spanId, eventId: "e1", name: "card.checked", timeUnixNano: childStart + 500n, attributes: [text("result", "ok")] });
    const failing = shape.error === true && i === 0;
    if (failing) {
      await client.recordError({ traceId, spanId, errorId: "err-1", timeUnixNano: childStart + 600n, errorType: "CardDeclined", message: "insufficient funds", escaped: true });
    }
    await client.endSpan({
      traceId,
      spanId,
      endTimeUnixNano: childStart + 900n,
      status: failing ? { code: StatusCode.ERROR, message: "declined" } : { code: StatusCode.OK },
    });
  }
  await client.endSpan({ traceId, spanId: root, endTimeUnixNano: end, attributes: [int("http.response.status_code", 201)] });
  const spanIds = [root, ...children];
  return { traceId, spanIds, keys: spanIds.map((s) => spanKey(hex(traceId), hex(s))) };
}
