// OTLP export over gRPC (OTLP_PROTOCOL=grpc) to a real grpc-js server
// implementing opentelemetry.proto.collector.trace.v1.TraceService/Export:
// spans arrive with the configured metadata; UNAVAILABLE, and RESOURCE_EXHAUSTED
// with RetryInfo, are retried until accepted; RESOURCE_EXHAUSTED without
// RetryInfo and INVALID_ARGUMENT are final, dropped and counted.

import { status as GrpcCode } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { sendTrace } from "./support/export-traces.js";
import { hex } from "./support/ids.js";
import { connectClient } from "./support/in-process-server.js";
import { exportingServerPerTest } from "./support/exporting-server-per-test.js";
import { startOtlpGrpcReceiver } from "./support/otlp-receiver.js";
import { until } from "./support/wait.js";

const e2e = exportingServerPerTest(startOtlpGrpcReceiver, (receiver) => ({
  OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=k%3D1,X-Tenant=acme",
}));

describe("OTLP export over gRPC", () => {
  it("sends every span with the configured metadata, retrying UNAVAILABLE and RESOURCE_EXHAUSTED with RetryInfo", async () => {
    const server = await e2e.exportingServer();
    const outage = [
      { kind: "grpc" as const, code: GrpcCode.UNAVAILABLE, message: "collector restarting" },
      { kind: "grpc" as const, code: GrpcCode.RESOURCE_EXHAUSTED, message: "memory limiter", retryDelayMs: 300 },
      { kind: "grpc" as const, code: GrpcCode.UNAVAILABLE },
    ];
    e2e.receiver.answer = (request) => outage[request.index - 1] ?? { kind: "accept" };
    const client = connectClient(server.grpcAddress);
    const traces = [await sendTrace(client, { error: true }), await sendTrace(client, { children: 3 })];
    await e2e.receiver.waitForSpans(traces.flatMap((t) => t.keys));

    expect(e2e.receiver.requests.slice(0, 3).map((r) => r.answer)).toEqual(["grpc", "grpc", "grpc"]);
    for (const request of e2e.receiver.requests) {
      expect(request.headers).toMatchObject({ "x-api-key": "k=1", "x-tenant": "acme" });
      expect(request.headers["user-agent"]).toMatch(/traceledger-otlp-exporter/);
    }
    expect(e2e.receiver.duplicates()).toBe(0);
    const stats = server.otlpExport!.stats;
    // The receiver has the spans before the exporter has counted the answer.
    await until(5000, "the export counted", () => (stats.exportedSpans === traces.flatMap((t) => t.keys).length ? true : undefined));
    expect(stats.retries).toBe(3);
    const root = e2e.receiver.spans.get(traces[0]!.keys[0]!)!;
    expect(hex(root.span.traceId)).toBe(hex(traces[0]!.traceId));
    expect(root.resource!.attributes.find((kv) => kv.key === "service.name")?.value?.value.value).toBe("checkout");
  });

  it("drops and counts what the collector refuses for good: RESOURCE_EXHAUSTED without RetryInfo, INVALID_ARGUMENT", async () => {
    const server = await e2e.exportingServer();
    e2e.receiver.answer = (request) =>
      request.index === 1
        ? { kind: "grpc", code: GrpcCode.RESOURCE_EXHAUSTED, message: "quota" }
        : request.index === 2
          ? { kind: "grpc", code: GrpcCode.INVALID_ARGUMENT, message: "bad span" }
          : { kind: "accept" };
    const client = connectClient(server.grpcAddress);
    const exhausted = await sendTrace(client);
    await e2e.receiver.waitForRequests(1);
    const invalid = await sendTrace(client, { children: 1 });
    await e2e.receiver.waitForRequests(2);
    const accepted = await sendTrace(client);
    await e2e.receiver.waitForSpans(accepted.keys);

    expect(e2e.receiver.requests).toHaveLength(3);
    const stats = server.otlpExport!.stats;
    await until(5000, "the export counted", () => (stats.exportedSpans === accepted.keys.length ? true : undefined));
    expect(stats.retries).toBe(0);
    expect(Object.fromEntries(stats.droppedByReason)).toEqual({
      "grpc RESOURCE_EXHAUSTED: quota": exhausted.keys.length,
      "grpc INVALID_ARGUMENT: bad span": invalid.keys.length,
    });
  });
});
