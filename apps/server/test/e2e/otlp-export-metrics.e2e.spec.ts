// The OTLP exporter's counts on GET /metrics, from the real server in this process
// exporting to a real local receiver: a collector that answers 503 a few times and
// then accepts shows as retries (by reason) and exported spans; a refusal as dropped
// spans, by reason; tail sampling as traces sampled out. docs/operations.md says to
// watch the retry counter during an outage: this is it.

import { createServer as createH2Server, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { fromBinary } from "@bufbuild/protobuf";
import { status as GrpcCode } from "@grpc/grpc-js";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { describe, expect, it } from "vitest";
import { matching, seriesOf } from "../support/prometheus-text.js";
import { sendTrace } from "./support/export-traces.js";
import { connectClient } from "./support/in-process-server.js";
import { exportingServerPerTest } from "./support/exporting-server-per-test.js";
import { startOtlpGrpcReceiver, startOtlpHttpReceiver } from "./support/otlp-receiver.js";
import { scrapeMetrics } from "./support/scrape-metrics.js";
import { until } from "./support/wait.js";

/** Every series of `name` as [labels, value]; [] when the family is not exported. */
async function series(httpAddress: string, name: string, labels: Record<string, string> = {}): Promise<Array<[Record<string, string>, number]>> {
  const family = (await scrapeMetrics(httpAddress)).families.get(name);
  if (!family) return [];
  return matching(seriesOf(family), labels).map((s) => [{ ...s.labels } as Record<string, string>, s.value]);
}

describe("OTLP export on /metrics, over HTTP", () => {
  const e2e = exportingServerPerTest(startOtlpHttpReceiver, (receiver) => ({ OTLP_ENDPOINT: receiver.url }));

  it("counts the retries of an outage by reason, then the spans exported once the collector accepts", async () => {
    const server = await e2e.exportingServer();
    expect(await series(server.httpAddress, "traceledger_otlp_export_spans_total")).toEqual([[{ outcome: "exported" }, 0]]);
    e2e.receiver.answer = (request) => (request.index <= 3 ? { kind: "status", status: 503, headers: { "retry-after": "0" } } : { kind: "accept" });
    const sent = await sendTrace(connectClient(server.grpcAddress));
    await e2e.receiver.waitForSpans(sent.keys);
    await until(5000, "the export counted", () => (server.otlpExport!.stats.exportedSpans === sent.keys.length ? true : undefined));

    expect(await series(server.httpAddress, "traceledger_otlp_export_retries_total")).toEqual([[{ reason: "http_503" }, 3]]);
    expect(await series(server.httpAddress, "traceledger_otlp_export_spans_total")).toEqual([[{ outcome: "exported" }, sent.keys.length]]);
  });

  it("counts spans the collector refused for good as dropped, by reason, and traces sampled out", async () => {
    const server = await e2e.exportingServer({ OTLP_EXPORT_SAMPLE_RATE: "0", OTLP_EXPORT_SLOW_TRACE_MS: "0" });
    const client = connectClient(server.grpcAddress);
    await sendTrace(client);
    await sendTrace(client);
    await until(5000, "both sampled out", () => (server.otlpExport!.stats.sampledOutTraces === 2 ? true : undefined));
    expect(await series(server.httpAddress, "traceledger_otlp_export_traces_sampled_out_total")).toEqual([[{}, 2]]);

    e2e.receiver.answer = () => ({ kind: "status", status: 400, message: "invalid span" });
    const refused = await sendTrace(client, { error: true });
    await until(5000, "the refusal counted", () => (server.otlpExport!.stats.droppedSpans === refused.keys.length ? true : undefined));
    expect(await series(server.httpAddress, "traceledger_otlp_export_spans_total", { outcome: "dropped" })).toEqual([[{ outcome: "dropped", reason: "http_400" }, refused.keys.length]]);
    expect(await series(server.httpAddress, "traceledger_otlp_export_retries_total")).toEqual([]);
  });
});

describe("OTLP export on /metrics, over gRPC", () => {
  const e2e = exportingServerPerTest(startOtlpGrpcReceiver, (receiver) => ({ OTLP_PROTOCOL: "grpc", OTLP_ENDPOINT: receiver.url }));

  it("counts the retries by gRPC code, then the spans exported", async () => {
    const server = await e2e.exportingServer();
    e2e.receiver.answer = (request) => (request.index <= 2 ? { kind: "grpc", code: GrpcCode.UNAVAILABLE, message: "busy" } : { kind: "accept" });
    const sent = await sendTrace(connectClient(server.grpcAddress));
    await e2e.receiver.waitForSpans(sent.keys);
    await until(5000, "the export counted", () => (server.otlpExport!.stats.exportedSpans === sent.keys.length ? true : undefined));
    expect(await series(server.httpAddress, "traceledger_otlp_export_retries_total")).toEqual([[{ reason: "grpc_unavailable" }, 2]]);
    // The collector answered UNAVAILABLE itself: it did not take the spans, so none is counted as re-sent.
    expect(await series(server.httpAddress, "traceledger_otlp_export_spans_total")).toEqual([[{ outcome: "exported" }, sent.keys.length]]);
  });

  it("counts the spans of a request whose connection dropped after the collector read it as re-sent (possible duplicates)", async () => {
    // A collector that reads the first request whole and then loses its connection (as one
    // killed or restarted mid-call), then accepts: it has the first request's spans twice.
    let requests = 0;
    let spansRead = 0;
    const collector = createH2Server();
    collector.on("stream", (stream: ServerHttp2Stream) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const frame = Buffer.concat(chunks);
        const request = fromBinary(ExportTraceServiceRequestSchema, frame.subarray(5, 5 + frame.readUInt32BE(1)));
        spansRead += request.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, scope) => m + scope.spans.length, 0), 0);
        if (++requests === 1) return stream.session!.destroy();
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    try {
      const server = await e2e.exportingServer({ OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` });
      const sent = await sendTrace(connectClient(server.grpcAddress));
      await until(15_000, "the export counted", () => (server.otlpExport!.stats.exportedSpans === sent.keys.length ? true : undefined));
      expect([requests, spansRead]).toEqual([2, 2 * sent.keys.length]);
      expect(await series(server.httpAddress, "traceledger_otlp_export_retries_total")).toEqual([[{ reason: "grpc_unavailable" }, 1]]);
      expect(await series(server.httpAddress, "traceledger_otlp_export_spans_total")).toEqual([
        [{ outcome: "exported" }, sent.keys.length],
        [{ outcome: "resent", reason: "ambiguous_retry" }, sent.keys.length],
      ]);
    } finally {
      collector.close();
    }
  });
});
