// grpc.reflection.v1 (and its older name v1alpha, the same messages): lets
// grpcurl, grpc_cli and Postman list the services and fetch their .proto
// descriptors instead of needing the files.

import { status, type ServerDuplexStream, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { endStreamOnShutdown } from "./end-stream-on-shutdown.js";
import type { ReflectionIndex } from "./reflection-index.js";

interface ReflectionRequest {
  host?: string;
  /** Which member of the message_request oneof is set (proto-loader's oneofs option). */
  message_request?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: { containing_type?: string; extension_number?: number };
  all_extension_numbers_of_type?: string;
  list_services?: string;
}

type ReflectionAnswer =
  | { file_descriptor_response: { file_descriptor_proto: Uint8Array[] } }
  | { all_extension_numbers_response: { base_type_name: string; extension_number: number[] } }
  | { list_services_response: { service: { name: string }[] } }
  | { error_response: { error_code: number; error_message: string } };

export function reflectionImplementation(index: ReflectionIndex, streamShutdown: AbortSignal): UntypedServiceImplementation {
  return {
    ServerReflectionInfo(call: ServerDuplexStream<ReflectionRequest, object>) {
      // Files already sent on this stream need not be sent again (the protocol allows it).
      const sent = new Set<string>();
      call.on("data", (request: ReflectionRequest) => {
        call.write({ valid_host: request.host ?? "", original_request: request, ...answer(index, request, sent) });
      });
      call.on("end", () => call.end());
      endStreamOnShutdown(call, streamShutdown);
    },
  };
}

function answer(index: ReflectionIndex, request: ReflectionRequest, sent: Set<string>): ReflectionAnswer {
  switch (request.message_request) {
    case "list_services":
      return { list_services_response: { service: index.serviceNames.map((name) => ({ name })) } };
    case "file_by_filename": {
      const name = request.file_by_filename ?? "";
      return files(index, name, sent) ?? notFound(`file "${name}" not found`);
    }
    case "file_containing_symbol": {
      const symbol = request.file_containing_symbol ?? "";
      const file = index.fileOfSymbol(symbol);
      return (file === undefined ? undefined : files(index, file, sent)) ?? notFound(`symbol "${symbol}" not found`);
    }
    case "file_containing_extension": {
      const { containing_type: type = "", extension_number: number = 0 } = request.file_containing_extension ?? {};
      const file = index.fileOfExtension(type, number);
      return (file === undefined ? undefined : files(index, file, sent)) ?? notFound(`extension ${number} of "${type}" not found`);
    }
    case "all_extension_numbers_of_type": {
      const type = request.all_extension_numbers_of_type ?? "";
      const numbers = index.extensionNumbers(type);
      return numbers
        ? { all_extension_numbers_response: { base_type_name: type.replace(/^\./, ""), extension_number: numbers } }
        : notFound(`type "${type}" not found`);
    }
    default:
      return { error_response: { error_code: status.INVALID_ARGUMENT, error_message: "the request sets no message_request" } };
  }
}

function files(index: ReflectionIndex, fileName: string, sent: Set<string>): ReflectionAnswer | undefined {
  // The file asked for always; its dependencies only if not sent yet.
  const [requested, ...dependencies] = index.fileWithDependencies(fileName);
  if (requested === undefined) return undefined;
  const names = [requested, ...dependencies.filter((name) => !sent.has(name))];
  names.forEach((name) => sent.add(name));
  return { file_descriptor_response: { file_descriptor_proto: names.map((name) => index.fileDescriptor(name)) } };
}

function notFound(message: string): ReflectionAnswer {
  return { error_response: { error_code: status.NOT_FOUND, error_message: message } };
}
