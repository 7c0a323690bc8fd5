// OTLP export over gRPC (OTLP_PROTOCOL=grpc) to a real grpc-js server
// implementing opentelemetry.proto.collector.trace.v1.TraceService/Export:
// spans arrive with the configured metadata; UNAVAILABLE, and RESOURCE_EXHAUSTED
// with RetryInfo, are retried until accepted; RESOURCE_EXHAUSTED without
// RetryInfo and INVALID_ARGUMENT are final, dropped and counted.

import { status as GrpcCode } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { sendTrace } from "./support/export-traces.js";
import { hex } from "./support/ids.js";
import { connectClient, startServer } from "./support/in-process-server.js";
import { startOtlpGrpcReceiver, type OtlpReceiver } from "./support/otlp-receiver.js";
import { until } from "./support/wait.js";

let db: TestDatabase;
let receiver: OtlpReceiver;
const servers: Traceledger[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  receiver = await startOtlpGrpcReceiver();
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
  await receiver?.close();
  await db?.drop();
});

async function exportingServer(overrides: Record<string, string> = {}): Promise<Traceledger> {
  const server = await startServer(db.url, {
    OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=k%3D1,X-Tenant=acme",
    OTLP_EXPORT_MAX_DELAY_MS: "20",
    OTLP_EXPORT_RETRY_INITIAL_MS: "10",
    OTLP_EXPORT_RETRY_MAX_MS: "50",
    ...overrides,
  });
  servers.push(server);
  return server;
}

describe("OTLP export over gRPC", () => {
  it("sends every span with the configured metadata, retrying UNAVAILABLE and RESOURCE_EXHAUSTED with RetryInfo", async () => {
    const server = await exportingServer();
    const outage = [
      { kind: "grpc" as const, code: GrpcCode.UNAVAILABLE, message: "collector restarting" },
      { kind: "grpc" as const, code: GrpcCode.RESOURCE_EXHAUSTED, message: "memory limiter", retryDelayMs: 300 },
      { kind: "grpc" as const, code: GrpcCode.UNAVAILABLE },
    ];
    receiver.answer = (request) => outage[request.index - 1] ?? { kind: "accept" };
    const client = connectClient(server.grpcAddress);
    const traces = [await sendTrace(client, { error: true }), await sendTrace(client, { children: 3 })];
    await receiver.waitForSpans(traces.flatMap((t) => t.keys));

    expect(receiver.requests.slice(0, 3).map((r) => r.answer)).toEqual(["grpc", "grpc", "grpc"]);
    for (const request of receiver.requests) {
      expect(request.headers).toMatchObject({ "x-api-key": "k=1", "x-tenant": "acme" });
      expect(request.headers["user-agent"]).toMatch(/traceledger-otlp-exporter/);
    }
    expect(receiver.duplicates()).toBe(0);
    const stats = server.otlpExport!.stats;
    // The receiver has the spans before the exporter has counted the answer.
    await until(5000, "the export counted", () => (stats.exportedSpans === traces.flatMap((t) => t.keys).length ? true : undefined));
    expect(stats.retries).toBe(3);
    const root = receiver.spans.get(traces[0]!.keys[0]!)!;
    expect(hex(root.span.traceId)).toBe(hex(traces[0]!.traceId));
    expect(root.resource!.attributes.find((kv) => kv.key === "service.name")?.value?.value.value).toBe("checkout");
  });

  it("drops and counts what the collector refuses for good: RESOURCE_EXHAUSTED without RetryInfo, INVALID_ARGUMENT", async () => {
    const server = await exportingServer();
    receiver.answer = (request) =>
      request.index === 1
        ? { kind: "grpc", code: GrpcCode.RESOURCE_EXHAUSTED, message: "quota" }
        : request.index === 2
          ? { kind: "grpc", code: GrpcCode.INVALID_ARGUMENT, message: "bad span" }
          : { kind: "accept" };
    const client = connectClient(server.grpcAddress);
    const exhausted = await sendTrace(client);
    await receiver.waitForRequests(1);
    const invalid = await sendTrace(client, { children: 1 });
    await receiver.waitForRequests(2);
    const accepted = await sendTrace(client);
    await receiver.waitForSpans(accepted.keys);

    expect(receiver.requests).toHaveLength(3);
    const stats = server.otlpExport!.stats;
    await until(5000, "the export counted", () => (stats.exportedSpans === accepted.keys.length ? true : undefined));
    expect(stats.retries).toBe(0);
    expect(Object.fromEntries(stats.droppedByReason)).toEqual({
      "grpc RESOURCE_EXHAUSTED: quota": exhausted.keys.length,
      "grpc INVALID_ARGUMENT: bad span": invalid.keys.length,
    });
  });
});
