// A grpc-js service definition derived from a protobuf-es service descriptor:
// the paths and (de)serialisers grpc-js needs, with nothing generated per
// service.

import { fromBinary, toBinary, type DescMethod, type DescService, type Message } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { DECODE_OPTIONS } from "./decode-recursion-limit.js";
import type { GrpcRequestReader } from "./service-registration.js";

/**
 * A request that did not decode. grpc-js answers a throwing deserialiser with
 * INTERNAL, but the fault is the client's: the handler turns this into
 * INVALID_ARGUMENT instead.
 */
export class MalformedRequest {
  constructor(readonly cause: unknown) {}
}

export type GrpcRequest = Message | MalformedRequest;

export function grpcServiceDefinition(service: DescService, readers: Readonly<Record<string, GrpcRequestReader>> = {}): ServiceDefinition {
  return Object.fromEntries(service.methods.map((method) => [method.name, grpcMethodDefinition(method, readers[method.name])]));
}

function grpcMethodDefinition(method: DescMethod, reader?: GrpcRequestReader): MethodDefinition<GrpcRequest, Message> {
  const read = reader ?? ((bytes: Uint8Array) => fromBinary(method.input, bytes, DECODE_OPTIONS));
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    originalName: method.localName,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: (message) => {
      if (message instanceof MalformedRequest) throw new TypeError("a malformed request cannot be serialised");
      return asBuffer(toBinary(method.input, message));
    },
    requestDeserialize: (bytes) => {
      try {
        return read(bytes);
      } catch (cause) {
        return new MalformedRequest(cause);
      }
    },
    responseSerialize: (message) => asBuffer(toBinary(method.output, message)),
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
  };
}

// A view, not a copy: the encoded bytes are written to the socket once.
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
