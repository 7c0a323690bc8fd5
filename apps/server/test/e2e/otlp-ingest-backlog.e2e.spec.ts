// OTLP ingest under a backlog, through both doors: exports past
// TRACELEDGER_OTLP_MAX_PENDING_SPANS are refused as retryable, and each refusal
// says how long to wait, as OTLP asks: Retry-After over HTTP, a
// google.rpc.RetryInfo in the Status over gRPC (and in the HTTP Status body).
// Nothing refused is stored; everything accepted is.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { credentials, Client as GrpcClient, type ServiceError } from "@grpc/grpc-js";
import { ErrorInfoSchema, RetryInfoSchema, RpcStatusSchema, type RpcStatus } from "@traceledger/proto/google-rpc";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";

const EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const T0 = 1_764_000_000_000_000_000n;
/** Exports sent at once through each door: with one pending span allowed, all but the first wait behind it. */
const AT_ONCE = 12;

const e2e = serverPerFile({ TRACELEDGER_OTLP_MAX_PENDING_SPANS: "1" });
let grpc: GrpcClient;

beforeAll(() => {
  grpc = new GrpcClient(e2e.server.grpcAddress, credentials.createInsecure());
});

afterAll(() => {
  grpc?.close();
});

/** One finished root span of a new trace, as the binary ExportTraceServiceRequest. */
function oneSpanExport(): Uint8Array {
  return toBinary(
    ExportTraceServiceRequestSchema,
    create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: "backlog" } } }] },
          scopeSpans: [{ spans: [{ traceId: newTraceId(), spanId: newSpanId(), name: "op", kind: 2, startTimeUnixNano: T0, endTimeUnixNano: T0 + 1_000n }] }],
        },
      ],
    }),
  );
}

async function storedEvents(): Promise<number> {
  return Number((await e2e.db.sql<{ n: bigint }[]>`select count(*)::int8 as n from events`)[0]!.n);
}

/** Events one export of a single finished root span stores; measured once, by a lone export. */
let eventsPerOneSpanTrace = 0;
beforeAll(async () => {
  const before = await storedEvents();
  const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: oneSpanExport() });
  expect(response.status).toBe(200);
  eventsPerOneSpanTrace = (await storedEvents()) - before;
  expect(eventsPerOneSpanTrace).toBeGreaterThan(0);
});

/** What a refusal told the client: the Status code, the ErrorInfo reason and the RetryInfo delay in seconds. */
function refusal(status: RpcStatus) {
  const reasons = status.details.map((any) => anyUnpack(any, ErrorInfoSchema)?.reason).filter((r) => r !== undefined);
  const delays = status.details.map((any) => anyUnpack(any, RetryInfoSchema)?.retryDelay?.seconds).filter((d) => d !== undefined);
  return { code: status.code, reasons, delays };
}

describe("exports past the backlog limit are refused as retryable, with how long to wait", () => {
  it("over gRPC: UNAVAILABLE with a RetryInfo, and nothing of a refused export stored", async () => {
    const before = await storedEvents();
    const results = await Promise.all(
      Array.from({ length: AT_ONCE }, () =>
        new Promise<ServiceError | undefined>((resolve) =>
          grpc.makeUnaryRequest(EXPORT_PATH, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, oneSpanExport(), (error) => resolve(error ?? undefined)),
        ),
      ),
    );
    const refused = results.filter((error) => error !== undefined);
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) {
      expect(error.code).toBe(14); // UNAVAILABLE
      const status = fromBinary(RpcStatusSchema, error.metadata.get("grpc-status-details-bin")[0] as Buffer);
      expect(refusal(status)).toEqual({ code: 14, reasons: ["INGEST_OVERLOADED"], delays: [1n] });
    }
    // Each accepted export stored its span (a trace of one ended root span: started, ended, completed).
    const accepted = AT_ONCE - refused.length;
    expect(accepted).toBeGreaterThan(0);
    expect((await storedEvents()) - before).toBe(accepted * eventsPerOneSpanTrace);
  });

  it("over HTTP: 503 with Retry-After and a Status body with the same RetryInfo", async () => {
    const before = await storedEvents();
    const responses = await Promise.all(
      Array.from({ length: AT_ONCE }, () =>
        fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: oneSpanExport() }),
      ),
    );
    const refused = responses.filter((r) => r.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) {
      expect([response.status, response.headers.get("retry-after")]).toEqual([503, "1"]);
      expect(refusal(fromBinary(RpcStatusSchema, new Uint8Array(await response.arrayBuffer())))).toEqual({ code: 14, reasons: ["INGEST_OVERLOADED"], delays: [1n] });
    }
    const accepted = AT_ONCE - refused.length;
    expect(accepted).toBeGreaterThan(0);
    expect((await storedEvents()) - before).toBe(accepted * eventsPerOneSpanTrace);
  });
});
