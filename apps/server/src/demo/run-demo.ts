// The first minute of a new user: three pretend services (a gateway, payments,
// inventory) trace one checkout through the real gRPC API, handing the
// traceparent from one to the next as HTTP headers would. The trace is printed
// while spans still run, and again once it completed.

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SpanKind, StatusCode, TracingService } from "@traceledger/proto";
import { formatTraceTree } from "./format-trace-tree.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (key: string, value: string) => ({ key, value: { value: { case: "stringValue" as const, value } } });
const int = (key: string, value: number) => ({ key, value: { value: { case: "intValue" as const, value: BigInt(value) } } });

export async function runDemo(grpcUrl: string, print: (text: string) => void): Promise<void> {
  const client = createClient(TracingService, createGrpcTransport({ baseUrl: grpcUrl }));

  const gateway = await client.startTrace({
    name: "POST /checkout",
    serviceName: "gateway",
    kind: SpanKind.SERVER,
    attributes: [text("http.request.method", "POST"), text("http.route", "/checkout")],
  });
  const payments = await client.startSpan({ traceparent: gateway.traceparent, name: "charge card", serviceName: "payments", kind: SpanKind.SERVER });
  await sleep(40);
  const inventory = await client.startSpan({ traceparent: gateway.traceparent, name: "reserve stock", serviceName: "inventory", kind: SpanKind.SERVER });
  await client.addSpanEvent({ traceparent: inventory.traceparent, name: "cache.miss" });
  await sleep(20);

  print("While it runs (no other tracer can show this: OTLP sees only ended spans):");
  print(formatTraceTree((await client.getTrace({ traceId: gateway.traceId })).trace!));

  await client.recordError({ traceparent: payments.traceparent, errorType: "CardDeclined", message: "insufficient funds, retried with backup card" });
  await client.setSpanAttributes({ traceparent: payments.traceparent, attributes: [int("payment.attempts", 2)] });
  await sleep(30);
  await client.endSpan({ traceparent: payments.traceparent, status: { code: StatusCode.OK } });
  await client.endSpan({ traceparent: inventory.traceparent, status: { code: StatusCode.ERROR, message: "warehouse timeout" } });
  const done = await client.endSpan({ traceparent: gateway.traceparent, status: { code: StatusCode.OK }, attributes: [int("http.response.status_code", 200)] });

  print(`\nAfter the root ended (trace completed: ${done.traceCompleted}):`);
  const trace = (await client.getTrace({ traceId: gateway.traceId })).trace!;
  print(formatTraceTree(trace));
  print(`\nAs of version 3 (time travel: the trace when payments had just started):`);
  print(formatTraceTree((await client.getTrace({ traceId: gateway.traceId, asOf: { case: "asOfVersion", value: 3n } })).trace!));
}
