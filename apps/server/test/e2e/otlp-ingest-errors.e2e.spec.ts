// Bad OTLP input gets the answer the OTLP specification prescribes and changes
// nothing; spans the domain rejects are counted and explained in
// partial_success while the rest of the batch is stored. Requests are written
// by hand here (fetch, a raw grpc-js call), as a misbehaving client would.

import { create, createRegistry, fromBinary, fromJson, toBinary, toJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { credentials, Client as GrpcClient, type ServiceError } from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema, RpcStatusSchema } from "@traceledger/proto/google-rpc";
import {
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  type ExportTraceServiceResponse,
  type OtlpSpanSchema,
} from "@traceledger/proto/otlp";
import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectJsonError, grpcJsError } from "./support/error-details.js";
import { hex, newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";

const MAX_BYTES = 256 * 1024;
const EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

const e2e = serverPerFile({ TRACELEDGER_MAX_MESSAGE_BYTES: String(MAX_BYTES) });
let grpc: GrpcClient;

beforeAll(() => {
  grpc = new GrpcClient(e2e.server.grpcAddress, credentials.createInsecure());
});

afterAll(() => {
  grpc?.close();
});

type SpanInit = MessageInitShape<typeof OtlpSpanSchema>;
const T0 = 1_764_000_000_000_000_000n;

function span(fields: SpanInit = {}): SpanInit {
  return { traceId: newTraceId(), spanId: newSpanId(), name: "op", kind: 2, startTimeUnixNano: T0, endTimeUnixNano: T0 + 1_000n, ...fields };
}

/** `resourceBlob`: the length of one more resource attribute, as a Kubernetes resource detector might add. */
function exportRequest(spans: SpanInit[], resourceBlob = 0) {
  const blob = resourceBlob > 0 ? [{ key: "k8s.blob", value: { value: { case: "stringValue" as const, value: "x".repeat(resourceBlob) } } }] : [];
  return create(ExportTraceServiceRequestSchema, {
    resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: "edge" } } }, ...blob] }, scopeSpans: [{ spans }] }],
  });
}

async function storedEvents(): Promise<number> {
  return Number((await e2e.db.sql<{ n: bigint }[]>`select count(*)::int8 as n from events`)[0]!.n);
}

function post(body: Uint8Array | string, headers: Record<string, string>, path = "/v1/traces") {
  return fetch(`http://${e2e.server.httpAddress}${path}`, { method: "POST", headers, body });
}

/** The google.rpc.Status of a failed OTLP/HTTP response, in whichever encoding it came. */
async function statusOf(response: Response) {
  const type = response.headers.get("content-type");
  const bytes = new Uint8Array(await response.arrayBuffer());
  const status =
    type === "application/json"
      ? fromJson(RpcStatusSchema, JSON.parse(Buffer.from(bytes).toString("utf8")), { registry: createRegistry(ErrorInfoSchema, BadRequestSchema) })
      : fromBinary(RpcStatusSchema, bytes);
  const infos = status.details.map((any) => anyUnpack(any, ErrorInfoSchema)).filter((info) => info !== undefined);
  const violations = status.details.flatMap((any) => anyUnpack(any, BadRequestSchema)?.fieldViolations ?? []).map(({ field, description }) => ({ field, description }));
  return { code: status.code, message: status.message, reasons: infos.map((info) => info.reason), violations, type };
}

function grpcExport(body: Uint8Array): Promise<{ response?: ExportTraceServiceResponse; error?: ServiceError }> {
  return new Promise((resolve) => {
    grpc.makeUnaryRequest(
      EXPORT_PATH,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      body,
      (error, value) => resolve(error ? { error } : { response: fromBinary(ExportTraceServiceResponseSchema, value!) }),
    );
  });
}

describe("bad input is answered as OTLP specifies and changes nothing", () => {
  it("a body that does not decode: 400 with a google.rpc.Status, in the request's encoding", async () => {
    const before = await storedEvents();
    const binary = await post(Buffer.from("not protobuf, just text that looks like nothing"), { "content-type": "application/x-protobuf" });
    expect(binary.status).toBe(400);
    // The specification: the details SHOULD hold a google.rpc.BadRequest saying what was wrong.
    const binaryStatus = await statusOf(binary);
    expect(binaryStatus).toMatchObject({ code: 3, reasons: ["MALFORMED_OTLP"], type: "application/x-protobuf" });
    expect(binaryStatus.violations).toEqual([{ field: "", description: binaryStatus.message }]);
    const json = await post("{ not json", { "content-type": "application/json" });
    expect(json.status).toBe(400);
    const jsonStatus = await statusOf(json);
    expect(jsonStatus).toMatchObject({ code: 3, reasons: ["MALFORMED_OTLP"], type: "application/json" });
    expect(jsonStatus.violations).toEqual([{ field: "", description: expect.stringContaining("not JSON") }]);
    const badGzip = await post(Buffer.from("not gzip"), { "content-type": "application/x-protobuf", "content-encoding": "gzip" });
    expect(badGzip.status).toBe(400);
    const badDeflate = await post(Buffer.from("not deflate"), { "content-type": "application/x-protobuf", "content-encoding": "deflate" });
    expect(badDeflate.status).toBe(400);
    const cutShort = await post(gzipSync(toBinary(ExportTraceServiceRequestSchema, exportRequest([span()]))).subarray(0, 15), { "content-type": "application/x-protobuf", "content-encoding": "gzip" });
    expect(await statusOf(cutShort)).toMatchObject({ code: 3, reasons: ["MALFORMED_OTLP"] });
    expect(await storedEvents()).toBe(before);
  });

  it("what a decoder could not read is quoted in a few hundred characters, not said back whole", async () => {
    const before = await storedEvents();
    const digits = "9".repeat(200_000);
    const spanJson = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"${digits}"}]}]}]}`;
    const unknownKey = `{"${"k".repeat(200_000)}":1}`;
    // connect compresses a long answer for a client that accepts it, as fetch and browsers do.
    for (const acceptEncoding of ["gzip", "identity"]) {
      const json = { "content-type": "application/json", "accept-encoding": acceptEncoding };
      const answers = [
        ["OTLP/HTTP JSON", "MALFORMED_OTLP", await post(spanJson, json)],
        ["OTLP on Connect JSON", "MALFORMED_OTLP", await post(spanJson, json, EXPORT_PATH)],
        ["StartTrace on Connect JSON", "MALFORMED_REQUEST", await post(unknownKey, json, "/traceledger.v1.TracingService/StartTrace")],
      ] as const;
      for (const [door, reason, response] of answers) {
        const text = await response.text();
        const seen = door === "OTLP/HTTP JSON" ? (JSON.parse(text) as { details: Array<{ reason?: string }> }).details[0]!.reason : connectJsonError(JSON.parse(text)).reason;
        expect([door, acceptEncoding, response.status, seen, text.length < 4_000]).toEqual([door, acceptEncoding, 400, reason, true]);
        expect(text, door).toMatch(/… \(\d{6} characters\)/);
      }
    }
    expect(await storedEvents()).toBe(before);
  });

  it("deflate, as the Collector's receiver and Python's exporter speak it, in the zlib form and the raw one", async () => {
    for (const [form, compress] of [["zlib", deflateSync], ["raw", deflateRawSync]] as const) {
      const one = span();
      const response = await post(compress(toBinary(ExportTraceServiceRequestSchema, exportRequest([one]))), { "content-type": "application/x-protobuf", "content-encoding": "deflate" });
      expect(response.status, form).toBe(200);
    }
  });

  it("another content type or content encoding: 415", async () => {
    const body = toBinary(ExportTraceServiceRequestSchema, exportRequest([span()]));
    const before = await storedEvents();
    const text = await post(body, { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    expect(await statusOf(text)).toMatchObject({ reasons: ["UNSUPPORTED_MEDIA_TYPE"] });
    const brotli = await post(body, { "content-type": "application/x-protobuf", "content-encoding": "br" });
    expect(brotli.status).toBe(415);
    expect(await statusOf(brotli)).toMatchObject({ reasons: ["UNSUPPORTED_CONTENT_ENCODING"] });
    expect(await storedEvents()).toBe(before);
  });

  it("a body over the limit, as sent or once unzipped: 413", async () => {
    const before = await storedEvents();
    const big = await post(new Uint8Array(MAX_BYTES + 1), { "content-type": "application/x-protobuf" });
    expect(big.status).toBe(413);
    expect(await statusOf(big)).toMatchObject({ code: 8, reasons: ["REQUEST_TOO_LARGE"] });
    const bomb = await post(gzipSync(Buffer.alloc(MAX_BYTES * 4)), { "content-type": "application/x-protobuf", "content-encoding": "gzip" });
    expect(bomb.status).toBe(413);
    const deflateBomb = await post(deflateSync(Buffer.alloc(MAX_BYTES * 4)), { "content-type": "application/x-protobuf", "content-encoding": "deflate" });
    expect(deflateBomb.status).toBe(413);
    expect(await storedEvents()).toBe(before);
  });

  it("the wrong method gets 405 with a google.rpc.Status body, as every OTLP/HTTP failure; only POST exports", async () => {
    const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(await statusOf(response)).toMatchObject({ code: 3, reasons: ["METHOD_NOT_ALLOWED"], type: "application/x-protobuf", violations: [] });
    // Answered in the request's encoding, as every OTLP/HTTP response.
    const json = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(405);
    expect(await statusOf(json)).toMatchObject({ reasons: ["METHOD_NOT_ALLOWED"], type: "application/json" });
  });

  it("a gRPC request that does not decode: INVALID_ARGUMENT, nothing stored", async () => {
    const before = await storedEvents();
    const { error } = await grpcExport(Buffer.from([0x0a, 0x7f, 0x01, 0x02]));
    expect(error).toBeDefined();
    expect(grpcJsError(error!).code).toBe("invalid_argument");
    const details = fromBinary(RpcStatusSchema, error!.metadata.get("grpc-status-details-bin")[0] as Buffer).details;
    expect(details.flatMap((any) => anyUnpack(any, BadRequestSchema)?.fieldViolations ?? []).map((v) => v.description)).toEqual([error!.details]);
    expect(await storedEvents()).toBe(before);
  });

  it("a gRPC export over the message limit: RESOURCE_EXHAUSTED, nothing stored", async () => {
    const before = await storedEvents();
    // Valid spans, so only the size can be what is refused.
    const spans = Array.from({ length: 200 }, () => span({ name: "x".repeat(2_000) }));
    const body = toBinary(ExportTraceServiceRequestSchema, exportRequest(spans));
    expect(body.length).toBeGreaterThan(MAX_BYTES);
    const { error } = await grpcExport(body);
    expect(error?.code).toBe(8); // RESOURCE_EXHAUSTED
    expect(await storedEvents()).toBe(before);
  });

  describe("a request whose resource, stored with each of its spans, would pass 4 x the message limit (at least 16 MiB): too large, nothing stored", () => {
    // 100 KiB of resource with each of 200 spans: 20 MiB stored from a body of 110 KiB.
    const amplifying = () => toBinary(ExportTraceServiceRequestSchema, exportRequest(Array.from({ length: 200 }, () => span()), 100 * 1024));

    it.each(["application/x-protobuf", "application/json"])("over HTTP (%s): 413", async (type) => {
      const before = await storedEvents();
      const body = amplifying();
      expect(body.length).toBeLessThan(MAX_BYTES);
      const sent = type === "application/json" ? jsonWithHexIds(fromBinary(ExportTraceServiceRequestSchema, body)) : body;
      const response = await post(sent, { "content-type": type });
      expect(response.status).toBe(413);
      expect(response.headers.get("retry-after")).toBeNull();
      const status = await statusOf(response);
      expect(status).toMatchObject({ code: 8, reasons: ["REQUEST_TOO_LARGE"] });
      expect(status.message).toContain("resource and scope are stored with each of its spans, more than 16777216 bytes");
      expect(await storedEvents()).toBe(before);
    });

    it("over gRPC: RESOURCE_EXHAUSTED without a RetryInfo", async () => {
      const before = await storedEvents();
      const { error } = await grpcExport(amplifying());
      expect(grpcJsError(error!)).toMatchObject({ code: "resource_exhausted", reason: "REQUEST_TOO_LARGE", metadata: { max_expanded_bytes: "16777216", spans: "200" } });
      const details = fromBinary(RpcStatusSchema, error!.metadata.get("grpc-status-details-bin")[0] as Buffer).details;
      expect(details.map((any) => any.typeUrl)).toEqual(["type.googleapis.com/google.rpc.ErrorInfo"]);
      expect(await storedEvents()).toBe(before);
    });

    it("a stock exporter's batch with an ordinary resource is stored, on both doors: 4 KiB with each of 512 spans", async () => {
      for (const door of ["http", "grpc"] as const) {
        const traceId = newTraceId();
        const root = newSpanId();
        const spans = Array.from({ length: 512 }, (_, i) => span(i === 0 ? { traceId, spanId: root } : { traceId, parentSpanId: root }));
        const body = toBinary(ExportTraceServiceRequestSchema, exportRequest(spans, 4 * 1024));
        if (door === "http") {
          const response = await post(body, { "content-type": "application/x-protobuf" });
          expect(response.status).toBe(200);
          expect(fromBinary(ExportTraceServiceResponseSchema, new Uint8Array(await response.arrayBuffer())).partialSuccess).toBeUndefined();
        } else {
          const { response, error } = await grpcExport(body);
          expect(error).toBeUndefined();
          expect(response!.partialSuccess).toBeUndefined();
        }
        // TraceStarted, each span's SpanStarted and SpanEnded, TraceCompleted.
        const [row] = await e2e.db.sql<{ n: number }[]>`select count(*)::int4 as n from events where trace_id = ${Buffer.from(traceId)}`;
        expect(row!.n).toBe(2 + 2 * 512);
      }
    });
  });

  it("an empty request is a success with partial_success left unset", async () => {
    const response = await post(toBinary(ExportTraceServiceRequestSchema, exportRequest([])), { "content-type": "application/x-protobuf" });
    expect(response.status).toBe(200);
    expect(fromBinary(ExportTraceServiceResponseSchema, new Uint8Array(await response.arrayBuffer())).partialSuccess).toBeUndefined();
    const json = await post("{}", { "content-type": "application/json" });
    expect(await json.json()).toEqual({});
  });
});

describe("spans the domain rejects are reported in partial_success; the rest are stored", () => {
  /** A batch where three spans break a rule and two are fine, all in one trace except the bad trace id. */
  function mixedBatch() {
    const traceId = newTraceId();
    const root = newSpanId();
    const good = [span({ traceId, spanId: root, name: "root" }), span({ traceId, parentSpanId: root, name: "child" })];
    const bad = [
      span({ traceId, spanId: Buffer.from("0102", "hex"), name: "short id" }),
      span({ traceId: Buffer.alloc(16), name: "zero trace id" }),
      span({ traceId, parentSpanId: root, name: "backwards", startTimeUnixNano: T0, endTimeUnixNano: T0 - 1n }),
    ];
    return { traceId, request: exportRequest([...bad.slice(0, 1), ...good, ...bad.slice(1)]) };
  }

  async function expectStoredOnlyGood(traceId: Uint8Array) {
    const view = (await e2e.client.getTrace({ traceId })).trace!;
    expect(view.spans.map((s) => s.name).sort()).toEqual(["child", "root"]);
  }

  it.each(["application/x-protobuf", "application/json"])("over HTTP (%s)", async (type) => {
    const { traceId, request } = mixedBatch();
    const body = type === "application/json" ? jsonWithHexIds(request) : toBinary(ExportTraceServiceRequestSchema, request);
    const response = await post(body, { "content-type": type });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(type);
    const result =
      type === "application/json"
        ? fromJson(ExportTraceServiceResponseSchema, (await response.json()) as JsonValue)
        : fromBinary(ExportTraceServiceResponseSchema, new Uint8Array(await response.arrayBuffer()));
    expect(result.partialSuccess?.rejectedSpans).toBe(3n);
    expect(result.partialSuccess?.errorMessage).toMatch(/^3 of 5 spans rejected: /);
    for (const reason of ["INVALID_SPAN_ID", "INVALID_TRACE_ID", "INVALID_TIME_RANGE"]) expect(result.partialSuccess?.errorMessage).toContain(reason);
    await expectStoredOnlyGood(traceId);
  });

  it("over OTLP/JSON, a span whose id is not hex is refused on its own, the id quoted as sent", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    const json = JSON.parse(jsonWithHexIds(exportRequest([span({ traceId, spanId: root, name: "root" }), span({ traceId, parentSpanId: root, name: "base64 id" })]))) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, string>> }> }>;
    };
    const sent = json.resourceSpans[0]!.scopeSpans[0]!.spans[1]!;
    sent.spanId = Buffer.from(sent.spanId!, "hex").toString("base64");
    const response = await post(JSON.stringify(json), { "content-type": "application/json" });
    expect(response.status).toBe(200);
    const result = fromJson(ExportTraceServiceResponseSchema, (await response.json()) as JsonValue);
    expect(result.partialSuccess?.rejectedSpans).toBe(1n);
    expect(result.partialSuccess?.errorMessage).toBe(
      `1 of 2 spans rejected: INVALID_SPAN_ID x1 (e.g. span ${sent.spanId}: span id "${sent.spanId}" is not hex (OTLP/JSON writes ids as hex, not base64))`,
    );
    expect((await e2e.client.getTrace({ traceId })).trace!.spans.map((s) => s.name)).toEqual(["root"]);
  });

  it("Export in Connect JSON on the HTTP port ignores field names it does not know, as OTLP asks of receivers", async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    const body = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(traceId).toString("base64"), spanId: Buffer.from(spanId).toString("base64"), name: "from a newer exporter", startTimeUnixNano: String(T0), endTimeUnixNano: String(T0 + 1000n), fieldOfOtlp2: 1 }] }], fieldOfOtlp2: "x" }],
    };
    const response = await fetch(`http://${e2e.server.httpAddress}${EXPORT_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    expect((await e2e.client.getTrace({ traceId })).trace!.spans.map((s) => s.name)).toEqual(["from a newer exporter"]);
  });

  it("over gRPC", async () => {
    const { traceId, request } = mixedBatch();
    const { response, error } = await grpcExport(toBinary(ExportTraceServiceRequestSchema, request));
    expect(error).toBeUndefined();
    expect(response!.partialSuccess).toMatchObject({ rejectedSpans: 3n });
    await expectStoredOnlyGood(traceId);
  });

  it("a re-export of a stored span with another outcome is rejected as such, the stored span unchanged", async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    await grpcExport(toBinary(ExportTraceServiceRequestSchema, exportRequest([span({ traceId, spanId, status: { code: 1 } })])));
    const { response } = await grpcExport(toBinary(ExportTraceServiceRequestSchema, exportRequest([span({ traceId, spanId, status: { code: 2 } })])));
    expect(response!.partialSuccess).toMatchObject({ rejectedSpans: 1n });
    expect(response!.partialSuccess!.errorMessage).toContain("SPAN_ALREADY_ENDED");
    expect((await e2e.client.getTrace({ traceId })).trace!.spans[0]!.status?.code).toBe(1);
  });
});

/** OTLP/JSON as the specification writes it: the proto3 mapping, but hex ids (uppercase here, which is allowed). */
function jsonWithHexIds(request: ReturnType<typeof exportRequest>): string {
  const json = toJson(ExportTraceServiceRequestSchema, request) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, string>> }> }> };
  for (const rs of json.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        for (const field of ["traceId", "spanId", "parentSpanId"]) {
          if (s[field] !== undefined) s[field] = hex(Buffer.from(s[field], "base64")).toUpperCase();
        }
      }
    }
  }
  return JSON.stringify(json);
}
