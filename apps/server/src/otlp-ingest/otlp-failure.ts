// Why an OTLP export failed as a whole, in the terms the OTLP specification
// answers with: bad data (never retry), too large, unsupported encoding or
// method, unavailable (retry, after retryAfterSeconds), or a fault of ours. Both doors map it: the gRPC
// door to a status code, the HTTP door to an HTTP status, each with one
// google.rpc.ErrorInfo (and a google.rpc.BadRequest for bad data, which the
// specification asks of OTLP/HTTP).

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "@traceledger/proto/google-rpc";
import { ERROR_DOMAIN } from "../rpc/rpc-error.js";

type OtlpFailureKind = "bad_data" | "too_large" | "unsupported" | "unavailable" | "internal";

/** The gRPC code of each kind (also Status.code in OTLP/HTTP failure bodies). */
export const otlpFailureCode: Readonly<Record<OtlpFailureKind, Code>> = {
  bad_data: Code.InvalidArgument,
  too_large: Code.ResourceExhausted,
  unsupported: Code.InvalidArgument,
  unavailable: Code.Unavailable,
  internal: Code.Internal,
};

export class OtlpFailure extends Error {
  constructor(
    readonly kind: OtlpFailureKind,
    /** Stable, UPPER_SNAKE: ErrorInfo.reason. */
    readonly reason: string,
    message: string,
    readonly metadata: Readonly<Record<string, string>> = {},
    /** For "unavailable": when a retry has a chance. */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
    this.name = "OtlpFailure";
  }
}

/**
 * The details of a failure, the same on both doors: one ErrorInfo; a RetryInfo (Retry-After's
 * delay) when a retry can succeed; a BadRequest for bad data, whose one violation is the request
 * as a whole (field left empty): what could not be read says where in its description.
 */
export function failureDetails(failure: OtlpFailure): {
  readonly errorInfo: MessageInitShape<typeof ErrorInfoSchema>;
  readonly retryInfo?: MessageInitShape<typeof RetryInfoSchema>;
  readonly badRequest?: MessageInitShape<typeof BadRequestSchema>;
} {
  const errorInfo = { reason: failure.reason, domain: ERROR_DOMAIN, metadata: { ...failure.metadata } };
  switch (failure.kind) {
    case "unavailable":
      return { errorInfo, retryInfo: { retryDelay: { seconds: BigInt(failure.retryAfterSeconds) } } };
    case "bad_data":
      return { errorInfo, badRequest: { fieldViolations: [{ field: "", description: failure.message }] } };
    default:
      return { errorInfo };
  }
}
