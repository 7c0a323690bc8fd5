// The body of an OTLP/HTTP failure: a google.rpc.Status (as the specification
// requires for every 4xx and 5xx), in the request's encoding, with the gRPC
// code of the same condition and one google.rpc.ErrorInfo; a retryable one also
// a google.rpc.RetryInfo saying what the Retry-After header says, bad data a
// google.rpc.BadRequest.

import { create, createRegistry, toBinary, toJsonString } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema, RpcStatusSchema } from "@traceledger/proto/google-rpc";
import { failureDetails, otlpFailureCode, type OtlpFailure } from "./otlp-failure.js";

export type OtlpEncoding = "protobuf" | "json";

const registry = createRegistry(ErrorInfoSchema, RetryInfoSchema, BadRequestSchema);

export function statusBody(failure: OtlpFailure, encoding: OtlpEncoding): Uint8Array | string {
  const details = failureDetails(failure);
  const status = create(RpcStatusSchema, {
    code: otlpFailureCode[failure.kind],
    message: failure.message,
    details: [
      anyPack(ErrorInfoSchema, create(ErrorInfoSchema, details.errorInfo)),
      ...(details.retryInfo ? [anyPack(RetryInfoSchema, create(RetryInfoSchema, details.retryInfo))] : []),
      ...(details.badRequest ? [anyPack(BadRequestSchema, create(BadRequestSchema, details.badRequest))] : []),
    ],
  });
  return encoding === "json" ? toJsonString(RpcStatusSchema, status, { registry }) : toBinary(RpcStatusSchema, status);
}
