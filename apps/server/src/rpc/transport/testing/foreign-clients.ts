// Clients as another language's stock gRPC library would build them: grpc-js
// with @grpc/proto-loader reading .proto files, no generated TypeScript.

import { credentials, loadPackageDefinition, Metadata, type Client, type GrpcObject, type ServiceClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { REFLECTION_V1_PROTO, REFLECTION_V1ALPHA_PROTO, STANDARD_PROTO_ROOT } from "../standard-protos.js";

/** The repository's proto root, as a foreign client's include path. */
const PROTO_ROOT = fileURLToPath(new URL("../../../../../../proto", import.meta.url));

const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

function clientConstructor(file: string, includeDir: string, serviceName: string): ServiceClientConstructor {
  const root = loadPackageDefinition(loadSync(file, { ...loaderOptions, includeDirs: [includeDir] }));
  let node: GrpcObject | ServiceClientConstructor = root;
  for (const part of serviceName.split(".")) node = (node as GrpcObject)[part] as GrpcObject | ServiceClientConstructor;
  return node as ServiceClientConstructor;
}

export function foreignTracingClient(address: string): Client {
  const Constructor = clientConstructor("traceledger/v1/tracing_service.proto", PROTO_ROOT, "traceledger.v1.TracingService");
  return new Constructor(address, credentials.createInsecure());
}

export function foreignHealthClient(address: string): Client {
  return new (clientConstructor("grpc/health/v1/health.proto", PROTO_ROOT, "grpc.health.v1.Health"))(address, credentials.createInsecure());
}

export function foreignReflectionClient(address: string, version: "v1" | "v1alpha"): Client {
  const file = version === "v1" ? REFLECTION_V1_PROTO : REFLECTION_V1ALPHA_PROTO;
  return new (clientConstructor(file, STANDARD_PROTO_ROOT, `grpc.reflection.${version}.ServerReflection`))(address, credentials.createInsecure());
}

interface UnaryOutcome<T> {
  readonly response?: T;
  readonly error?: ServiceError;
  readonly trailers?: Metadata;
}

/** Calls a unary method of a proto-loader client and settles with whatever came back, error included. */
export function callUnary<T>(client: Client, method: string, request: object, options: { metadata?: Metadata; deadline?: Date } = {}): Promise<UnaryOutcome<T>> {
  return new Promise((resolve) => {
    let trailers: Metadata | undefined;
    const fn = (client as unknown as Record<string, (...args: unknown[]) => { on(event: "status", listener: (s: { metadata: Metadata }) => void): void }>)[method];
    if (!fn) throw new Error(`no method ${method}`);
    const call = fn.call(client, request, options.metadata ?? new Metadata(), { deadline: options.deadline }, (error: ServiceError | null, response: T) => {
      // grpc-js emits the status (with the trailers) right after the callback.
      setImmediate(() => resolve(error ? { error, trailers: error.metadata } : { response, trailers }));
    });
    call.on("status", (status) => {
      trailers = status.metadata;
    });
  });
}
