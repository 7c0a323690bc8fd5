// Loads the .proto files at run time with @grpc/proto-loader (protobufjs), as a
// service in another language would, and checks that it agrees with the
// generated TypeScript on every service, method and message, down to the bytes.
import { beforeAll, describe, expect, it } from "vitest";
import { loadSync, type MessageTypeDefinition, type PackageDefinition, type ServiceDefinition } from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { equals, fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import * as api from "../src/index.js";
import { protoRoot, traceledgerProtoFiles } from "./support/proto-files.js";
import { sampleVariants } from "./support/sample-message.js";

const generatedFiles = Object.entries(api)
  .filter(([name]) => name.startsWith("file_traceledger_v1_"))
  .map(([, file]) => file as typeof api.file_traceledger_v1_trace_events);
const generatedMessages: DescMessage[] = generatedFiles.flatMap((f) => f.messages);
// One sample per oneof member, so a wrong tag on any member (not just the first) shows.
const samples = generatedMessages.flatMap((schema) =>
  sampleVariants(schema, 7).map((variant) => [`${schema.typeName} (${variant.label})`, schema, variant] as const),
);

let definition: PackageDefinition;

beforeAll(() => {
  definition = loadSync(traceledgerProtoFiles(), {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
});

describe("a foreign client loading the .proto files", () => {
  it("resolves TracingService with every method, its types and its streaming shape", () => {
    const service = definition["traceledger.v1.TracingService"] as ServiceDefinition;
    expect(service).toBeDefined();
    const generated = api.TracingService.methods;
    expect(Object.keys(service).sort()).toEqual(generated.map((m) => m.name).sort());
    for (const method of generated) {
      const loaded = service[method.name]!;
      expect(loaded.path).toBe(`/traceledger.v1.TracingService/${method.name}`);
      expect(loaded.requestStream).toBe(method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming");
      expect(loaded.responseStream).toBe(method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming");
      expect(typeName(loaded.requestType)).toBe(method.input.name);
      expect(typeName(loaded.responseType)).toBe(method.output.name);
    }
  });

  it("resolves every message and enum the generated code has, and no other", () => {
    const loadedNames = Object.keys(definition).filter((n) => n.startsWith("traceledger.v1."));
    const generatedNames = [
      ...generatedMessages.map((m) => m.typeName),
      ...generatedFiles.flatMap((f) => f.enums.map((e) => e.typeName)),
      ...generatedFiles.flatMap((f) => f.services.map((s) => s.typeName)),
    ];
    expect(loadedNames.sort()).toEqual(generatedNames.sort());
  });

  // protobufjs (behind proto-loader) is an independent protobuf implementation:
  // bytes written by one and read by the other must mean the same message.
  it("has a wire-format sample for every member of every oneof", () => {
    const oneofMembers = generatedMessages.flatMap((m) => m.oneofs.flatMap((o) => o.fields.map((f) => `${m.typeName}.${f.name}`)));
    const sampled = samples.flatMap(([, schema, v]) => (v.member ? [`${schema.typeName}.${v.member.name}`] : []));
    expect(oneofMembers.length).toBeGreaterThan(0);
    expect(sampled.sort()).toEqual(oneofMembers.sort());
  });

  it.each(samples)("agrees on the wire format of %s", (_, schema, { message, oneof, member }) => {
    const bytes = toBinary(schema, message);
    const codec = foreignCodec(schema.typeName);
    const decoded = codec.decode(bytes);
    if (oneof && member) expect(decoded[oneof.name], "the foreign client sees the same oneof member").toBe(member.name);
    const reencoded = codec.encode(decoded);
    expect(equals(schema, fromBinary(schema, reencoded), message)).toBe(true);
  });
});

function typeName(definition: unknown): string | undefined {
  return ((definition as MessageTypeDefinition<unknown, unknown>).type as { name?: string }).name;
}

// proto-loader hands out (de)serialisers only for methods; protobufjs, the
// parser underneath it, reads the same files and encodes any message.
let foreignRoot: protobuf.Root | undefined;
function foreignCodec(typeName: string) {
  foreignRoot ??= loadForeignRoot();
  const type = foreignRoot.lookupType(typeName);
  return {
    decode: (bytes: Uint8Array) => type.toObject(type.decode(bytes), { longs: String, bytes: Array, oneofs: true }),
    encode: (object: Record<string, unknown>) => type.encode(type.fromObject(object)).finish(),
  };
}

function loadForeignRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith("/") ? target : `${protoRoot}/${target}`);
  root.loadSync(traceledgerProtoFiles(), { keepCase: true });
  root.resolveAll();
  return root;
}
