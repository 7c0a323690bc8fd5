// OTLP export to a real local receiver (node:http, OTLP/HTTP protobuf), from the
// real server in this process: spans arrive as recorded, and the official
// OpenTelemetry decoder reads the same bytes the same way; an outage (503, 429,
// 502) loses nothing and does not move the checkpoint; a 400 is not retried and
// is counted; tail sampling keeps errors and slow traces and samples the rest by
// trace id; headers arrive; gzip when asked; two replicas export each span once.

import { lookup } from "node:dns/promises";
import { gunzipSync } from "node:zlib";
import { fromBinary, toJson } from "@bufbuild/protobuf";
import { SpanKind, StatusCode } from "@traceledger/proto";
import { ExportTraceServiceRequestSchema, OtlpSpanKind, OtlpStatusCode, type OtlpKeyValue } from "@traceledger/proto/otlp";
import { describe, expect, it } from "vitest";
import { PostgresEventStore } from "../../src/event-store/postgres/postgres-event-store.js";
import { compareCheckpoints } from "../../src/event-store/rules.js";
import { OTLP_EXPORT_SUBSCRIBER } from "../../src/otlp-export/start-otlp-export.js";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { sendTrace, type SentTrace } from "./support/export-traces.js";
import { hex } from "./support/ids.js";
import { connectClient, startServer } from "./support/in-process-server.js";
import { exportingServerPerTest } from "./support/exporting-server-per-test.js";
import { spanKey, startOtlpHttpReceiver, type OtlpReceiver } from "./support/otlp-receiver.js";
import { decodeWithStockDecoder, stockDecoderAvailable } from "./support/stock-otlp-decoder.js";
import { until } from "./support/wait.js";

// Takeovers here are by release, not expiry: a long lease.
const e2e = exportingServerPerTest(startOtlpHttpReceiver, (receiver) => ({ OTLP_ENDPOINT: receiver.url, OTLP_EXPORT_LEASE_MS: "10000" }));

const allKeys = (traces: readonly SentTrace[]) => traces.flatMap((t) => t.keys);
const attributes = (list: readonly OtlpKeyValue[]) => Object.fromEntries(list.map((kv) => [kv.key, kv.value?.value.value]));
const checkpoint = () => new PostgresEventStore(e2e.db.sql).loadCheckpoint(OTLP_EXPORT_SUBSCRIBER);

/** The export delay the "does not export" tests set; they wait 1 s, many times it, before saying nothing was sent. */
const EXPORT_DELAY_MS = 50;
const pastExportDelay = () => new Promise((resolve) => setTimeout(resolve, 1_000));

describe("OTLP export over HTTP", () => {
  it("sends the spans of several traces as recorded: ids, parents, kinds, times, attributes, events, errors, links, status, resource, scope", async () => {
    const server = await e2e.exportingServer();
    const client = connectClient(server.grpcAddress);
    const traces = [await sendTrace(client), await sendTrace(client, { error: true, children: 3 }), await sendTrace(client, { service: "search", children: 1 })];
    await e2e.receiver.waitForSpans(allKeys(traces));

    for (const sent of traces) {
      const view = (await client.getTrace({ traceId: sent.traceId })).trace!;
      for (const span of view.spans) {
        const got = e2e.receiver.spans.get(spanKey(hex(sent.traceId), hex(span.spanId)))!;
        const otlp = got.span;
        expect(hex(otlp.parentSpanId)).toBe(hex(span.parentSpanId));
        expect(otlp.name).toBe(span.name);
        expect(otlp.kind).toBe(span.kind === SpanKind.SERVER ? OtlpSpanKind.SERVER : OtlpSpanKind.CLIENT);
        expect([otlp.startTimeUnixNano, otlp.endTimeUnixNano]).toEqual([span.startTimeUnixNano, span.endTimeUnixNano]);
        expect(attributes(otlp.attributes)).toEqual(attributes(span.attributes as never));
        expect(otlp.status?.code ?? OtlpStatusCode.UNSET).toBe(span.status?.code ?? StatusCode.UNSPECIFIED);
        expect(otlp.status?.message ?? "").toBe(span.status?.message ?? "");
        expect(otlp.links.map((l) => hex(l.spanId))).toEqual(span.links.map((l) => hex(l.spanId)));
        // Events, then each recorded error as an OpenTelemetry exception event.
        expect(otlp.events.map((e) => e.name)).toEqual([...span.events.map((e) => e.name), ...span.errors.map(() => "exception")]);
        for (const error of span.errors) {
          const exception = otlp.events.find((e) => e.name === "exception")!;
          expect(attributes(exception.attributes)).toEqual({ "exception.type": error.errorType, "exception.message": error.message, "exception.escaped": true });
          expect(exception.timeUnixNano).toBe(error.timeUnixNano);
        }
        expect(attributes(got.resource!.attributes)).toEqual(
          span.parentSpanId.length === 0 ? { "service.name": span.serviceName, "host.name": "web-1" } : { "service.name": span.serviceName },
        );
        expect(got.scope?.name).toBe("traceledger");
        expect(got.times).toBe(1);
      }
      expect(view.spans).toHaveLength(sent.keys.length);
    }
    // The receiver has the spans before the exporter has counted the answer.
    await until(5000, "the export counted", () => (server.otlpExport!.stats.exportedSpans === allKeys(traces).length ? true : undefined));
    expect(e2e.receiver.requests.every((r) => r.headers["content-type"] === "application/x-protobuf")).toBe(true);
    // Caught up: the checkpoint sits past every exported event.
    await until(5000, "the checkpoint to be saved", async () => (compareCheckpoints(await checkpoint(), { transactionId: 0n, position: 0n }) > 0 ? true : undefined));
  });

  it.skipIf(!stockDecoderAvailable())("writes bytes the official OpenTelemetry decoder (opentelemetry-proto, Python) reads exactly as we do", async () => {
    const server = await e2e.exportingServer();
    const client = connectClient(server.grpcAddress);
    const traces = [await sendTrace(client, { error: true }), await sendTrace(client, { children: 3 })];
    await e2e.receiver.waitForSpans(allKeys(traces));
    const bodies = e2e.receiver.requests.map((r) => r.body);
    const stock = await decodeWithStockDecoder(bodies);
    const ours = bodies.map((b) => toJson(ExportTraceServiceRequestSchema, fromBinary(ExportTraceServiceRequestSchema, b)));
    expect(stock).toEqual(ours);
    // Not a vacuous comparison: the stock view holds the spans, ids as base64, times as strings.
    const spans = (stock as Array<{ resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string; startTimeUnixNano: string }> }> }> }>).flatMap((r) =>
      r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
    );
    expect(spans).toHaveLength(allKeys(traces).length);
    expect(spans.map((s) => Buffer.from(s.spanId, "base64").toString("hex")).sort()).toEqual(traces.flatMap((t) => t.spanIds.map(hex)).sort());
  });

  it("rides out an outage (503 and 429 with Retry-After, 502 without): every span arrives once, the checkpoint stays put meanwhile", async () => {
    const server = await e2e.exportingServer();
    const client = connectClient(server.grpcAddress);
    const before = await sendTrace(client);
    await e2e.receiver.waitForSpans(before.keys);
    await until(5000, "the first checkpoint", async () => (compareCheckpoints(await checkpoint(), { transactionId: 0n, position: 0n }) > 0 ? true : undefined));
    const saved = await checkpoint();

    const outage = [
      { kind: "status" as const, status: 503, headers: { "retry-after": "1" } },
      { kind: "status" as const, status: 429, headers: { "retry-after": new Date(Date.now() + 1000).toUTCString() } },
      { kind: "status" as const, status: 502 },
      { kind: "status" as const, status: 504, headers: { "retry-after": "0" } },
    ];
    const first = e2e.receiver.requests.length;
    // The scripted failures, then 503s until this test has looked at the checkpoint.
    let recovered = false;
    e2e.receiver.answer = (request) => (recovered ? { kind: "accept" } : (outage[request.index - first - 1] ?? { kind: "status", status: 503, headers: { "retry-after": "0" } }));
    const during = [await sendTrace(client, { error: true }), await sendTrace(client), await sendTrace(client, { children: 4 })];
    await e2e.receiver.waitForRequests(first + 1);
    const atFirstFailure = await checkpoint();
    await e2e.receiver.waitForRequests(first + outage.length);
    // Still while the collector refuses; never past the completion of the first trace it refused.
    expect(await checkpoint()).toEqual(atFirstFailure);
    const [completion] = (await new PostgresEventStore(e2e.db.sql).readStream(hex(during[0]!.traceId))).slice(-1);
    expect(completion!.type).toBe("TraceCompleted");
    expect(atFirstFailure.position).toBeLessThan(completion!.position);
    expect(compareCheckpoints(atFirstFailure, saved)).toBeGreaterThanOrEqual(0);
    recovered = true;

    await e2e.receiver.waitForSpans(allKeys(during));
    const after = await sendTrace(client);
    await e2e.receiver.waitForSpans(after.keys);
    expect(e2e.receiver.duplicates()).toBe(0);
    const stats = server.otlpExport!.stats;
    await until(5000, "the export counted", () => (stats.exportedSpans === allKeys([before, ...during, after]).length ? true : undefined));
    const failed = e2e.receiver.requests.filter((r) => r.answer === "status").length;
    expect(failed).toBeGreaterThanOrEqual(outage.length);
    expect(stats.retries).toBe(failed);
    expect(stats.resentSpans).toBe(0);
    expect(stats.droppedSpans).toBe(0);
    expect(e2e.receiver.requests.slice(first, first + outage.length).map((r) => r.answer)).toEqual(["status", "status", "status", "status"]);
  });

  it("does not retry a 400 or a partial success: the spans are dropped and counted with the reason, and export goes on; a warning is kept", async () => {
    const server = await e2e.exportingServer();
    const client = connectClient(server.grpcAddress);
    e2e.receiver.answer = (request) =>
      request.index === 1
        ? { kind: "status", status: 400, message: "span id is all zero" }
        : request.index === 2
          ? { kind: "accept", rejectedSpans: 1, errorMessage: "1 span too old" }
          : { kind: "accept", errorMessage: "the scope name is deprecated" };
    const refused = await sendTrace(client);
    await e2e.receiver.waitForRequests(1);
    const partly = await sendTrace(client, { children: 1 });
    await e2e.receiver.waitForRequests(2);
    const later = await sendTrace(client);
    await e2e.receiver.waitForSpans(later.keys);

    const carrying = (key: string) => e2e.receiver.requests.filter((r) => r.request.resourceSpans.some((rs) => rs.scopeSpans.some((s) => s.spans.some((sp) => spanKey(hex(sp.traceId), hex(sp.spanId)) === key)))).length;
    for (const key of refused.keys) expect(carrying(key)).toBe(1);
    expect(e2e.receiver.requests).toHaveLength(3);
    const stats = server.otlpExport!.stats;
    await until(5000, "the export counted", () => (stats.exportedSpans === partly.keys.length - 1 + later.keys.length ? true : undefined));
    expect(stats.droppedSpans).toBe(refused.keys.length + 1);
    expect(Object.fromEntries(stats.droppedByReason)).toEqual({
      "HTTP 400: span id is all zero": refused.keys.length,
      "partial success: 1 span too old": 1,
    });
    expect(stats.retries).toBe(0);
    // OTLP's warning: a partial success that rejected nothing. The spans count as exported.
    expect([stats.warnings, stats.lastWarning]).toEqual([1, "the scope name is deprecated"]);
  });

  it("keeps error and slow traces and samples the others at the configured rate, by trace id", async () => {
    const server = await e2e.exportingServer({ OTLP_EXPORT_SAMPLE_RATE: "0.5", OTLP_EXPORT_SLOW_TRACE_MS: "1000" });
    const client = connectClient(server.grpcAddress);
    const ordinary: SentTrace[] = [];
    for (let i = 0; i < 24; i++) ordinary.push(await sendTrace(client, { children: 1 }));
    const failed = [await sendTrace(client, { error: true }), await sendTrace(client, { error: true })];
    const slow = [await sendTrace(client, { durationMs: 1500, children: 1 }), await sendTrace(client, { durationMs: 4000, children: 1 })];
    // Export follows the log: once the last trace is in, every earlier one has been decided.
    const sentinel = await sendTrace(client, { error: true, children: 1 });
    await e2e.receiver.waitForSpans(sentinel.keys);

    // The rule, written independently: the last 56 bits of the id, at or above half of 2^56.
    const sampled = (t: SentTrace) => BigInt(`0x${hex(t.traceId).slice(18)}`) >= 1n << 55n;
    const expected = [...ordinary.filter(sampled), ...failed, ...slow, sentinel];
    const exportedTraces = new Set([...e2e.receiver.spans.values()].map((s) => hex(s.span.traceId)));
    expect([...exportedTraces].sort()).toEqual(expected.map((t) => hex(t.traceId)).sort());
    expect(e2e.receiver.spans.size).toBe(allKeys(expected).length);
    expect(server.otlpExport!.stats.sampledOutTraces).toBe(ordinary.length - ordinary.filter(sampled).length);
    // With 24 random ids, both outcomes are all but certain to occur (each is missing with probability 2^-24).
    expect(ordinary.filter(sampled).length).toBeGreaterThan(0);
    expect(ordinary.filter(sampled).length).toBeLessThan(ordinary.length);
  });

  it("sends the configured headers, percent-decoded", async () => {
    const server = await e2e.exportingServer({ OTLP_HEADERS: "authorization=Bearer%20s3cr3t, x-tenant = acme%2Fteam", OTEL_EXPORTER_OTLP_HEADERS: "x-ignored=1" });
    const sent = await sendTrace(connectClient(server.grpcAddress));
    await e2e.receiver.waitForSpans(sent.keys);
    for (const request of e2e.receiver.requests) {
      expect(request.headers).toMatchObject({ authorization: "Bearer s3cr3t", "x-tenant": "acme/team", "content-type": "application/x-protobuf" });
      expect(request.headers["x-ignored"]).toBeUndefined();
    }
  });

  it("gzips every request when OTEL_EXPORTER_OTLP_COMPRESSION=gzip, and the spans arrive whole", async () => {
    const server = await e2e.exportingServer({ OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" });
    const sent = await sendTrace(connectClient(server.grpcAddress), { children: 3 });
    await e2e.receiver.waitForSpans(sent.keys);
    expect(e2e.receiver.requests.length).toBeGreaterThan(0);
    for (const request of e2e.receiver.requests) {
      expect(request.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(request.wire).equals(Buffer.from(request.body))).toBe(true);
    }
  });

  it("runs on one replica at a time: two servers export each span once, and the other takes over when the holder stops", async () => {
    const a = await e2e.exportingServer();
    const b = await e2e.exportingServer();
    const exported = (server: Traceledger) => server.otlpExport!.stats.exportedSpans;
    const traces: SentTrace[] = [];
    for (let i = 0; i < 6; i++) traces.push(await sendTrace(connectClient((i % 2 === 0 ? a : b).grpcAddress)));
    const spans = allKeys(traces).length;
    await e2e.receiver.waitForSpans(allKeys(traces));
    await until(5000, "the exported spans to be counted", () => (exported(a) + exported(b) >= spans ? true : undefined));
    // Every span by the replica that holds the lease, none by the other.
    const [holder, other] = exported(a) > 0 ? [a, b] : [b, a];
    expect([exported(holder), exported(other)]).toEqual([spans, 0]);

    await holder.stop();
    const afterwards = await sendTrace(connectClient(other.grpcAddress));
    await e2e.receiver.waitForSpans(afterwards.keys);
    await until(5000, "the other replica to export what came after", () => (exported(other) >= afterwards.keys.length ? true : undefined));
    expect(e2e.receiver.duplicates()).toBe(0);
  });

  it("does not export when TRACING_ENABLED is false, even with an endpoint", async () => {
    const off = await e2e.exportingServer({ TRACING_ENABLED: "false", OTLP_EXPORT_MAX_DELAY_MS: String(EXPORT_DELAY_MS) });
    expect(off.otlpExport).toBeUndefined();
    const sent = await sendTrace(connectClient(off.grpcAddress));
    await pastExportDelay();
    expect(e2e.receiver.requests).toHaveLength(0);
    // The receiver was there to be reached: the same settings with tracing on send that trace.
    await e2e.exportingServer({ OTLP_EXPORT_MAX_DELAY_MS: String(EXPORT_DELAY_MS) });
    await e2e.receiver.waitForSpans(sent.keys);
  });

  it("without an endpoint exports only when OTLP_EXPORT_ENABLED=true, then to http://localhost:4318/v1/traces", async (context) => {
    // The default endpoint is a fixed port: a collector for every address localhost has. If
    // something else holds the port, this test skips rather than send that collector its traces.
    const receivers: OtlpReceiver[] = [];
    const servers: Traceledger[] = [];
    try {
      for (const { address } of await lookup("localhost", { all: true })) {
        try {
          receivers.push(await startOtlpHttpReceiver({ host: address, port: 4318 }));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "EADDRINUSE") context.skip(`port 4318 on ${address} is in use (a local collector?)`);
          // An address this host cannot bind (IPv6 off) is one the exporter cannot reach either.
          if (code !== "EADDRNOTAVAIL" && code !== "EAFNOSUPPORT") throw error;
        }
      }
      expect(receivers.length).toBeGreaterThan(0);
      const requests = () => receivers.reduce((n, r) => n + r.requests.length, 0);
      const quick = { OTLP_EXPORT_MAX_DELAY_MS: String(EXPORT_DELAY_MS), OTLP_EXPORT_RETRY_INITIAL_MS: "10", OTLP_EXPORT_RETRY_MAX_MS: "50" };

      // Nothing configured: no exporter, and nothing reaches the default endpoint.
      const unconfigured = await startServer(e2e.db.url, quick);
      servers.push(unconfigured);
      expect(unconfigured.otlpExport).toBeUndefined();
      const before = await sendTrace(connectClient(unconfigured.grpcAddress));
      await pastExportDelay();
      expect(requests()).toBe(0);
      await unconfigured.stop();

      // Asked for: the default endpoint gets the spans, the earlier trace's too.
      const asked = await startServer(e2e.db.url, { ...quick, OTLP_EXPORT_ENABLED: "true" });
      servers.push(asked);
      expect(asked.otlpExport).toBeDefined();
      const after = await sendTrace(connectClient(asked.grpcAddress));
      const wanted = [...before.keys, ...after.keys];
      await until(15_000, "the spans at localhost:4318", () => (wanted.every((k) => receivers.some((r) => r.spans.has(k))) ? true : undefined));
      expect(e2e.receiver.requests).toHaveLength(0);
    } finally {
      for (const server of servers) await server.stop();
      for (const receiver of receivers) await receiver.close();
    }
  });
});
