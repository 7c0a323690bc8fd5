// TracingService as a foreign client sees it: @grpc/grpc-js with
// @grpc/proto-loader reading the .proto files at run time, no generated
// TypeScript. Options as another language's stock library would give:
// field names as written (snake_case), 64-bit integers as strings, bytes as
// Buffers, enums by name, oneofs named by a virtual field.

import { credentials, loadPackageDefinition, Metadata, type Client, type ClientReadableStream, type GrpcObject, type ServiceClientConstructor, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { StreamReader } from "./stream-reader.js";

/** The repository's proto root: the include path a foreign client is given. */
export const PROTO_ROOT = fileURLToPath(new URL("../../../../../proto", import.meta.url));

const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true, includeDirs: [PROTO_ROOT] };

let constructorCache: ServiceClientConstructor | undefined;

function tracingServiceConstructor(): ServiceClientConstructor {
  if (!constructorCache) {
    const definition = loadSync("traceledger/v1/tracing_service.proto", LOADER_OPTIONS);
    const root = loadPackageDefinition(definition);
    const v1 = (root["traceledger"] as GrpcObject)["v1"] as GrpcObject;
    constructorCache = v1["TracingService"] as ServiceClientConstructor;
  }
  return constructorCache;
}

/** A decoded proto-loader message: plain objects, snake_case keys. */
export type Wire = Record<string, unknown>;

export type Outcome<T> = { readonly ok: true; readonly response: T } | { readonly ok: false; readonly error: ServiceError };

type UnaryMethod = (request: object, metadata: Metadata, options: object, callback: (error: ServiceError | null, response: Wire) => void) => unknown;
type StreamMethod = (request: object, metadata?: Metadata, options?: object) => ClientReadableStream<Wire>;

export class ForeignTracingClient {
  readonly client: Client;

  constructor(address: string) {
    const Constructor = tracingServiceConstructor();
    this.client = new Constructor(address, credentials.createInsecure());
  }

  /** Calls a unary method; rejects with the ServiceError on a non-OK status. */
  async call<T = Wire>(method: string, request: object, timeoutMs = 15_000): Promise<T> {
    const outcome = await this.attempt<T>(method, request, timeoutMs);
    if (!outcome.ok) throw outcome.error;
    return outcome.response;
  }

  /** Calls a unary method and settles with its response or its error. */
  attempt<T = Wire>(method: string, request: object, timeoutMs = 15_000): Promise<Outcome<T>> {
    const fn = (this.client as unknown as Record<string, UnaryMethod>)[method];
    if (typeof fn !== "function") throw new Error(`TracingService has no method ${method}`);
    return new Promise((resolve) => {
      fn.call(this.client, request, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        resolve(error ? { ok: false, error } : { ok: true, response: response as T });
      });
    });
  }

  /** Opens WatchTrace; the reader ends OK, or with the ServiceError. cancel() stops it. */
  watch(request: object): { reader: StreamReader<Wire>; cancel: () => void } {
    const fn = (this.client as unknown as Record<string, StreamMethod>)["WatchTrace"]!;
    const call = fn.call(this.client, request);
    const reader = new StreamReader<Wire>();
    call.on("data", (message: Wire) => reader.push(message));
    // The status comes last, after every message: it alone says how the stream ended.
    let failure: ServiceError | undefined;
    call.on("error", (error: ServiceError) => (failure = error));
    call.on("status", (status: StatusObject) => reader.finish(status.code === 0 ? { ok: true } : { ok: false, error: failure ?? status }));
    return { reader, cancel: () => call.cancel() };
  }

  close(): void {
    this.client.close();
  }
}

/** The TraceEvent oneof case ("span_started", ...) of a proto-loader WatchTraceResponse. */
export function eventCase(response: Wire): string {
  const envelope = response["event"] as Wire | undefined;
  const event = envelope?.["event"] as Wire | undefined;
  return String(event?.["event"] ?? "");
}

/** The stream version of a proto-loader WatchTraceResponse's envelope, as a string. */
export function streamVersion(response: Wire): string {
  return String((response["event"] as Wire | undefined)?.["stream_version"] ?? "");
}
