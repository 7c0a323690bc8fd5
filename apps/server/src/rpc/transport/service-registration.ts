// One implementation of one service, as both doors serve it.

import type { DescService, Message } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { MALFORMED_REQUEST } from "./malformed-request.js";

/**
 * Reads a request's bytes into the method's input message on the gRPC door,
 * instead of protobuf-es fromBinary: for a hot path that reads the wire itself
 * (OTLP Export). Throwing means the request is malformed (INVALID_ARGUMENT).
 */
export type GrpcRequestReader = (bytes: Uint8Array) => Message;

export interface ServiceRegistration {
  readonly service: DescService;
  /** Methods left out answer UNIMPLEMENTED. */
  readonly implementation: Partial<ServiceImpl<DescService>>;
  /** By method name; methods left out are decoded by protobuf-es. */
  readonly grpcRequestReaders?: Readonly<Record<string, GrpcRequestReader>>;
  /**
   * Whether a JSON request may carry field names and enum names the contract
   * does not have. False refuses them (INVALID_ARGUMENT), as the proto3 JSON
   * mapping does by default: ignored, a misspelt name would be stored as if
   * absent (an enum name as 0, its default).
   */
  readonly ignoreUnknownJsonFields: boolean;
  /** ErrorInfo.reason of a request that does not decode, on either door. */
  readonly malformedRequestReason: string;
}

export interface RegistrationOptions {
  readonly grpcRequestReaders?: Readonly<Record<string, GrpcRequestReader>>;
  /** Default false; see ServiceRegistration. */
  readonly ignoreUnknownJsonFields?: boolean;
  /** Default MALFORMED_REQUEST. */
  readonly malformedRequestReason?: string;
}

/**
 * Checks the implementation against its own service before it joins a list of
 * registrations for different services, where TypeScript can no longer relate
 * the two.
 */
export function serviceRegistration<S extends DescService>(
  service: S,
  implementation: Partial<ServiceImpl<S>>,
  options: RegistrationOptions = {},
): ServiceRegistration {
  return {
    service,
    implementation: implementation as Partial<ServiceImpl<DescService>>,
    grpcRequestReaders: options.grpcRequestReaders,
    ignoreUnknownJsonFields: options.ignoreUnknownJsonFields ?? false,
    malformedRequestReason: options.malformedRequestReason ?? MALFORMED_REQUEST,
  };
}
