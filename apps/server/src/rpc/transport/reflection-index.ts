// What server reflection answers from: the served services, the .proto files
// that declare them and all their dependencies, and which file declares each
// fully-qualified symbol, all from the protobuf-es descriptors the services
// are served with, so reflection cannot disagree with the wire.

import { toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

export interface ReflectionIndex {
  /** Full names of the services, sorted. */
  readonly serviceNames: readonly string[];
  /** The .proto file name ("traceledger/v1/tracing_service.proto") that declares a symbol. */
  fileOfSymbol(symbol: string): string | undefined;
  fileOfExtension(extendee: string, number: number): string | undefined;
  /** Field numbers of the known extensions of a message type; undefined for an unknown type. */
  extensionNumbers(messageType: string): number[] | undefined;
  /** The file, then its transitive dependencies, each once. Empty for an unknown file. */
  fileWithDependencies(fileName: string): string[];
  /** The serialised google.protobuf.FileDescriptorProto of a known file. */
  fileDescriptor(fileName: string): Uint8Array;
}

/**
 * `moreFiles`: files no served method names but clients still look up, such as the
 * google.rpc error details in grpc-status-details-bin (grpcurl decodes ErrorInfo by them).
 */
export function createReflectionIndex(services: readonly DescService[], moreFiles: readonly DescFile[] = []): ReflectionIndex {
  const files = new Map<string, DescFile>();
  const collect = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    file.dependencies.forEach(collect);
  };
  services.forEach((service) => collect(service.file));
  moreFiles.forEach(collect);

  const symbols = new Map<string, string>();
  const extensions = new Map<string, Map<number, string>>();
  const messageTypes = new Set<string>();
  for (const [fileName, file] of files) {
    for (const symbol of declaredSymbols(file)) symbols.set(symbol, fileName);
    for (const type of nestedTypes(file)) {
      if (type.kind === "message") messageTypes.add(type.typeName);
      if (type.kind !== "extension") continue;
      const byNumber = extensions.get(type.extendee.typeName) ?? new Map<number, string>();
      byNumber.set(type.number, fileName);
      extensions.set(type.extendee.typeName, byNumber);
    }
  }

  const encoded = new Map<string, Uint8Array>();
  return {
    serviceNames: services.map((s) => s.typeName).sort(),
    fileOfSymbol: (symbol) => symbols.get(symbol.replace(/^\./, "")),
    fileOfExtension: (extendee, number) => extensions.get(extendee.replace(/^\./, ""))?.get(number),
    extensionNumbers: (messageType) => {
      const name = messageType.replace(/^\./, "");
      return messageTypes.has(name) ? [...(extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b) : undefined;
    },
    fileWithDependencies: (fileName) => {
      const ordered = new Set<string>();
      const visit = (name: string): void => {
        const file = files.get(name);
        if (!file || ordered.has(name)) return;
        ordered.add(name);
        file.dependencies.forEach((dependency) => visit(dependency.proto.name));
      };
      visit(fileName);
      return [...ordered];
    },
    fileDescriptor: (fileName) => {
      let bytes = encoded.get(fileName);
      if (!bytes) {
        const file = files.get(fileName);
        if (!file) throw new Error(`unknown file ${fileName}`);
        bytes = toBinary(FileDescriptorProtoSchema, file.proto);
        encoded.set(fileName, bytes);
      }
      return bytes;
    },
  };
}

// Every name a client may ask for: types, services, methods, fields, oneofs,
// and enum values, which protobuf scopes beside their enum, not inside it.
function* declaredSymbols(file: DescFile): Iterable<string> {
  for (const type of nestedTypes(file)) {
    yield type.typeName;
    switch (type.kind) {
      case "message":
        for (const member of [...type.fields, ...type.oneofs]) yield `${type.typeName}.${member.name}`;
        break;
      case "enum": {
        const scope = type.typeName.slice(0, type.typeName.length - type.name.length);
        for (const value of type.values) yield `${scope}${value.name}`;
        break;
      }
      case "service":
        for (const method of type.methods) yield `${type.typeName}.${method.name}`;
        break;
    }
  }
}
