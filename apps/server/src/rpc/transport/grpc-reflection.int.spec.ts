// Server reflection on the gRPC door, as grpcurl uses it: list the services,
// fetch the file declaring one, and build a working descriptor pool from the
// answers alone.
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { status, type Client, type ClientDuplexStream } from "@grpc/grpc-js";
import { TracingService } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrpcServer, type GrpcServer } from "./grpc-server.js";
import { serviceRegistration } from "./service-registration.js";
import { CallLog } from "./testing/call-log.js";
import { foreignReflectionClient } from "./testing/foreign-clients.js";
import { streamReader, type StreamReader } from "./testing/stream-reader.js";
import { testTracingService } from "./testing/test-tracing-service.js";

interface ReflectionResponse {
  valid_host: string;
  original_request: Record<string, unknown>;
  message_response: string;
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  list_services_response?: { service: { name: string }[] };
  all_extension_numbers_response?: { base_type_name: string; extension_number: number[] };
  error_response?: { error_code: number; error_message: string };
}

let server: GrpcServer;

beforeAll(async () => {
  server = await createGrpcServer({ host: "127.0.0.1", port: 0, services: [serviceRegistration(TracingService, testTracingService(new CallLog()))] });
});

afterAll(async () => {
  await server.close(0);
});

describe.each(["v1", "v1alpha"] as const)("server reflection %s", (version) => {
  let client: Client;
  let stream: ClientDuplexStream<object, ReflectionResponse>;
  let responses: StreamReader<ReflectionResponse>;
  const ask = async (request: object) => {
    stream.write({ host: "localhost", ...request });
    return responses.next();
  };
  const files = (response: ReflectionResponse): FileDescriptorProto[] =>
    (response.file_descriptor_response?.file_descriptor_proto ?? []).map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));

  beforeAll(() => {
    client = foreignReflectionClient(server.address, version);
    stream = (client as unknown as { ServerReflectionInfo(): ClientDuplexStream<object, ReflectionResponse> }).ServerReflectionInfo();
    responses = streamReader(stream);
  });

  afterAll(async () => {
    stream.end();
    expect((await responses.status).code).toBe(status.OK);
    client.close();
  });

  it("lists the served services", async () => {
    const response = await ask({ list_services: "" });
    expect(response.valid_host).toBe("localhost");
    expect(response.list_services_response?.service).toEqual([{ name: "grpc.health.v1.Health" }, { name: "traceledger.v1.TracingService" }]);
  });

  // grpcurl calls health (or any service) by what reflection says of it.
  it("describes grpc.health.v1.Health, served on the same port, enough to call it", async () => {
    const [declaring] = files(await ask({ file_containing_symbol: "grpc.health.v1.Health" }));
    expect(declaring?.name).toBe("grpc/health/v1/health.proto");
    const rebuilt = createFileRegistry(create(FileDescriptorSetSchema, { file: [declaring!] })).getService("grpc.health.v1.Health");
    expect(rebuilt?.methods.map((m) => [m.name, m.methodKind, m.input.typeName, m.output.typeName])).toEqual([
      ["Check", "unary", "grpc.health.v1.HealthCheckRequest", "grpc.health.v1.HealthCheckResponse"],
      ["List", "unary", "grpc.health.v1.HealthListRequest", "grpc.health.v1.HealthListResponse"],
      ["Watch", "server_streaming", "grpc.health.v1.HealthCheckRequest", "grpc.health.v1.HealthCheckResponse"],
    ]);
  });

  // grpcurl decodes an error's details (grpc-status-details-bin) by reflection.
  it("serves the google.rpc files of the details errors carry", async () => {
    expect(files(await ask({ file_containing_symbol: "google.rpc.ErrorInfo" }))[0]?.name).toBe("google/rpc/error_details.proto");
    expect(files(await ask({ file_containing_symbol: "google.rpc.Status" }))[0]?.name).toBe("google/rpc/status.proto");
  });

  it("sends the file declaring a service with its dependencies, enough to rebuild the service", async () => {
    const response = await ask({ file_containing_symbol: "traceledger.v1.TracingService" });
    expect(response.original_request).toMatchObject({ file_containing_symbol: "traceledger.v1.TracingService" });
    const [declaring, ...dependencies] = files(response);
    expect(declaring?.name).toBe("traceledger/v1/tracing_service.proto");
    expect(declaring?.service[0]?.method.map((m) => m.name)).toEqual(TracingService.methods.map((m) => m.name));
    expect(dependencies.map((f) => f.name).sort()).toEqual([...(declaring?.dependency ?? [])].sort());

    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependenciesFirst([declaring!, ...dependencies]) }));
    const rebuilt = registry.getService("traceledger.v1.TracingService");
    expect(rebuilt?.methods.map((m) => [m.name, m.methodKind, m.input.typeName, m.output.typeName])).toEqual(
      TracingService.methods.map((m) => [m.name, m.methodKind, m.input.typeName, m.output.typeName]),
    );
  });

  it("does not resend dependencies already sent on the stream", async () => {
    const response = await ask({ file_containing_symbol: "traceledger.v1.StartSpanRequest.trace_id" });
    expect(files(response).map((f) => f.name)).toEqual(["traceledger/v1/tracing_service.proto"]);
  });

  it("finds a file by name, and the file of a method", async () => {
    expect(files(await ask({ file_by_filename: "traceledger/v1/attributes.proto" }))[0]?.name).toBe("traceledger/v1/attributes.proto");
    expect(files(await ask({ file_containing_symbol: "traceledger.v1.TracingService.WatchTrace" }))[0]?.name).toBe(
      "traceledger/v1/tracing_service.proto",
    );
  });

  it("answers NOT_FOUND in the stream for an unknown symbol or file, and keeps the stream open", async () => {
    expect((await ask({ file_containing_symbol: "no.such.Type" })).error_response?.error_code).toBe(status.NOT_FOUND);
    expect((await ask({ file_by_filename: "no/such.proto" })).error_response?.error_code).toBe(status.NOT_FOUND);
    expect((await ask({ list_services: "" })).list_services_response?.service).toHaveLength(2);
  });

  it("knows a message type has no extensions", async () => {
    const response = await ask({ all_extension_numbers_of_type: "traceledger.v1.StartSpanRequest" });
    expect(response.all_extension_numbers_response).toEqual({ base_type_name: "traceledger.v1.StartSpanRequest", extension_number: [] });
  });
});

// The order a FileDescriptorSet needs. (createFileRegistry's resolver overload
// in protobuf-es 2.17 gets the order wrong when two imports share an import.)
function dependenciesFirst(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const ordered = new Map<string, FileDescriptorProto>();
  const visit = (file: FileDescriptorProto): void => {
    if (ordered.has(file.name)) return;
    for (const name of file.dependency) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency);
    }
    ordered.set(file.name, file);
  };
  files.forEach(visit);
  return [...ordered.values()];
}
