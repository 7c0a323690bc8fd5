// Why an OTLP export failed as a whole, in the terms the OTLP specification
// answers with: bad data (never retry), too large, unsupported encoding or
// method, unavailable (retry, after retryAfterSeconds), or a fault of ours. Both doors map it: the gRPC
// door to a status code, the HTTP door to an HTTP status, each with one
// google.rpc.ErrorInfo.

import { Code } from "@connectrpc/connect";

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
