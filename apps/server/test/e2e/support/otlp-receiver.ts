// Real local OTLP receivers for export tests: a node:http server taking
// POST /v1/traces (protobuf) and a grpc-js server implementing
// opentelemetry.proto.collector.trace.v1.TraceService/Export, both on an
// ephemeral loopback port. Each request is decoded with the generated schema and
// kept with its raw bytes and headers; like a collector, both take gzip (the
// HTTP one by Content-Encoding, grpc-js by grpc-encoding). A test scripts the answers (accept,
// refuse with a status, or take the spans and never answer, as a collector whose
// reply is lost when the exporter dies).

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Server, ServerCredentials, Metadata, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { RpcStatusSchema } from "@traceledger/proto/google-rpc";
import {
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  OtlpTraceService,
  type ExportTraceServiceRequest,
  type InstrumentationScope,
  type OtlpResource,
  type OtlpSpan,
} from "@traceledger/proto/otlp";
import { until } from "./wait.js";

export type ReceiverAnswer =
  /** 200 / OK, optionally a partial success. */
  | { readonly kind: "accept"; readonly rejectedSpans?: number; readonly errorMessage?: string; readonly contentType?: string }
  /** An HTTP status (HTTP receiver), with headers such as Retry-After and a google.rpc.Status message. */
  | { readonly kind: "status"; readonly status: number; readonly headers?: Record<string, string>; readonly message?: string }
  /** A gRPC status (gRPC receiver), with RetryInfo when retryDelayMs is given. */
  | { readonly kind: "grpc"; readonly code: number; readonly message?: string; readonly retryDelayMs?: number }
  /** Take the spans, never answer. */
  | { readonly kind: "hang" };

export interface ReceivedRequest {
  /** 1 for the first request. */
  readonly index: number;
  /** HTTP headers or gRPC metadata, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The protobuf, decompressed. */
  readonly body: Uint8Array;
  /** The HTTP body as it arrived (compressed when Content-Encoding says so); gRPC: as grpc-js handed it over, decompressed. */
  readonly wire: Uint8Array;
  readonly request: ExportTraceServiceRequest;
  readonly spanCount: number;
  readonly answer: ReceiverAnswer["kind"];
}

export interface ReceivedSpan {
  readonly span: OtlpSpan;
  readonly resource: OtlpResource | undefined;
  readonly scope: InstrumentationScope | undefined;
  /** The schema URLs of its ResourceSpans and ScopeSpans. */
  readonly resourceSchemaUrl: string;
  readonly scopeSchemaUrl: string;
  /** How many accepted requests carried it. */
  times: number;
}

export interface OtlpReceiver {
  /** The URL an exporter sends to (HTTP: the full /v1/traces URL; gRPC: http://host:port). */
  readonly url: string;
  readonly requests: readonly ReceivedRequest[];
  /** Every span the receiver took (accepted or hung), by trace id hex + "/" + span id hex. */
  readonly spans: ReadonlyMap<string, ReceivedSpan>;
  /** Decides the answer to each request; accept by default. */
  answer: (request: ReceivedRequest) => ReceiverAnswer;
  /** Copies of spans taken more than once. */
  duplicates(): number;
  /** Waits until at least `count` requests came in. */
  waitForRequests(count: number, ms?: number): Promise<void>;
  /** Waits until every one of `keys` (trace/span hex) has been taken. */
  waitForSpans(keys: Iterable<string>, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export const spanKey = (traceIdHex: string, spanIdHex: string) => `${traceIdHex}/${spanIdHex}`;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

class ReceiverLog {
  readonly requests: ReceivedRequest[] = [];
  readonly spans = new Map<string, ReceivedSpan>();
  answer: (request: ReceivedRequest) => ReceiverAnswer = () => ({ kind: "accept" });

  /** Records a request and decides its answer. */
  take(headers: Record<string, string>, body: Uint8Array, wire: Uint8Array = body): { answer: ReceiverAnswer; decodeError?: unknown } {
    let request: ExportTraceServiceRequest;
    try {
      request = fromBinary(ExportTraceServiceRequestSchema, body);
    } catch (decodeError) {
      return { answer: { kind: "status", status: 400, message: "undecodable" }, decodeError };
    }
    const spanCount = request.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0), 0);
    const draft = { index: this.requests.length + 1, headers, body, wire, request, spanCount, answer: "accept" as ReceiverAnswer["kind"] };
    const answer = this.answer(draft);
    this.requests.push({ ...draft, answer: answer.kind });
    if (answer.kind === "accept" || answer.kind === "hang") {
      for (const r of request.resourceSpans) {
        for (const s of r.scopeSpans) {
          for (const span of s.spans) {
            const key = spanKey(hex(span.traceId), hex(span.spanId));
            const seen = this.spans.get(key);
            if (seen) seen.times++;
            else this.spans.set(key, { span, resource: r.resource, scope: s.scope, resourceSchemaUrl: r.schemaUrl, scopeSchemaUrl: s.schemaUrl, times: 1 });
          }
        }
      }
    }
    return { answer };
  }

  duplicates(): number {
    let copies = 0;
    for (const s of this.spans.values()) copies += s.times - 1;
    return copies;
  }

  waitForRequests(count: number, ms = 15_000): Promise<void> {
    return until(ms, `${count} OTLP requests (got ${this.requests.length})`, () => (this.requests.length >= count ? true : undefined)).then(() => {});
  }

  waitForSpans(keys: Iterable<string>, ms = 15_000): Promise<void> {
    const wanted = [...keys];
    return until(ms, `${wanted.length} spans at the receiver`, () => (wanted.every((k) => this.spans.has(k)) ? true : undefined)).then(() => {});
  }
}

function receiver(log: ReceiverLog, url: string, close: () => Promise<void>): OtlpReceiver {
  return {
    url,
    requests: log.requests,
    spans: log.spans,
    get answer() {
      return log.answer;
    },
    set answer(decide) {
      log.answer = decide;
    },
    duplicates: () => log.duplicates(),
    waitForRequests: (count, ms) => log.waitForRequests(count, ms),
    waitForSpans: (keys, ms) => log.waitForSpans(keys, ms),
    close,
  };
}

/** On an ephemeral loopback port unless told a host and port (a fixed port may be taken: then this rejects, e.g. EADDRINUSE). */
export async function startOtlpHttpReceiver(options: { readonly host?: string; readonly port?: number } = {}): Promise<OtlpReceiver> {
  const host = options.host ?? "127.0.0.1";
  const log = new ReceiverLog();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
      const wire = new Uint8Array(Buffer.concat(chunks));
      const body = decodeContent(headers["content-encoding"], wire);
      if (!body) {
        res.writeHead(400, { "content-type": "text/plain" }).end(`cannot read content-encoding ${headers["content-encoding"]}`);
        return;
      }
      const { answer } = log.take(headers, body, wire);
      switch (answer.kind) {
        case "hang":
          return;
        case "accept": {
          const body = toBinary(
            ExportTraceServiceResponseSchema,
            create(ExportTraceServiceResponseSchema, answer.rejectedSpans || answer.errorMessage ? { partialSuccess: { rejectedSpans: BigInt(answer.rejectedSpans ?? 0), errorMessage: answer.errorMessage ?? "" } } : {}),
          );
          res.writeHead(200, { "content-type": answer.contentType ?? "application/x-protobuf" }).end(body);
          return;
        }
        case "status": {
          const body = toBinary(RpcStatusSchema, create(RpcStatusSchema, { code: 0, message: answer.message ?? "" }));
          res.writeHead(answer.status, { "content-type": "application/x-protobuf", ...answer.headers }).end(body);
          return;
        }
        case "grpc":
          throw new Error("a gRPC answer from the HTTP receiver");
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return receiver(log, `http://${host.includes(":") ? `[${host}]` : host}:${port}/v1/traces`, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

/** The body with its Content-Encoding undone; undefined when it is not gzip or none, or does not gunzip. */
function decodeContent(encoding: string | undefined, wire: Uint8Array): Uint8Array | undefined {
  const name = encoding?.trim().toLowerCase() || "identity";
  if (name === "identity") return wire;
  if (name !== "gzip") return undefined;
  try {
    return new Uint8Array(gunzipSync(wire));
  } catch {
    return undefined;
  }
}

export async function startOtlpGrpcReceiver(): Promise<OtlpReceiver> {
  const log = new ReceiverLog();
  const server = new Server();
  const method = OtlpTraceService.method.export;
  server.addService(
    {
      Export: {
        path: `/${OtlpTraceService.typeName}/${method.name}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Uint8Array) => Buffer.from(b),
        requestDeserialize: (b: Buffer) => new Uint8Array(b),
        responseSerialize: (b: Uint8Array) => Buffer.from(b),
        responseDeserialize: (b: Buffer) => new Uint8Array(b),
      },
    },
    {
      Export: (call: ServerUnaryCall<Uint8Array, Uint8Array>, callback: sendUnaryData<Uint8Array>) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(call.metadata.getMap())) headers[name] = typeof value === "string" ? value : value.toString();
        const { answer } = log.take(headers, call.request);
        switch (answer.kind) {
          case "hang":
            return;
          case "accept":
            callback(
              null,
              toBinary(
                ExportTraceServiceResponseSchema,
                create(ExportTraceServiceResponseSchema, answer.rejectedSpans || answer.errorMessage ? { partialSuccess: { rejectedSpans: BigInt(answer.rejectedSpans ?? 0), errorMessage: answer.errorMessage ?? "" } } : {}),
              ),
            );
            return;
          case "grpc": {
            const metadata = new Metadata();
            if (answer.retryDelayMs !== undefined) metadata.set("grpc-status-details-bin", Buffer.from(retryInfoStatus(answer.code, answer.message ?? "", answer.retryDelayMs)));
            callback({ code: answer.code, details: answer.message ?? "", metadata });
            return;
          }
          case "status":
            throw new Error("an HTTP answer from the gRPC receiver");
        }
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return receiver(log, `http://127.0.0.1:${port}`, async () => {
    server.forceShutdown();
  });
}

/** A google.rpc.Status holding a google.rpc.RetryInfo, written field by field (Any, Duration). */
function retryInfoStatus(code: number, message: string, delayMs: number): Uint8Array {
  const seconds = Math.floor(delayMs / 1000);
  const nanos = (delayMs % 1000) * 1_000_000;
  const duration = Buffer.concat([varintField(1, seconds), varintField(2, nanos)]);
  const retryInfo = lengthField(1, duration);
  const any = Buffer.concat([lengthField(1, Buffer.from("type.googleapis.com/google.rpc.RetryInfo")), lengthField(2, retryInfo)]);
  return Buffer.concat([varintField(1, code), lengthField(2, Buffer.from(message)), lengthField(3, any)]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

function varintField(field: number, value: number): Buffer {
  return value === 0 ? Buffer.alloc(0) : Buffer.concat([varint(field << 3), varint(value)]);
}

function lengthField(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), Buffer.from(bytes)]);
}
