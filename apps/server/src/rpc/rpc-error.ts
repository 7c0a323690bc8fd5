// The one place where domain and infrastructure errors become RPC errors, so
// every door (gRPC, Connect, gRPC-Web) and the batch RPC's per-command result
// agree on the code and the reason. Following Google AIP-193, each error
// carries exactly one google.rpc.ErrorInfo whose reason is stable and whose
// metadata holds every variable its message names.

import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import type { CommandError } from "../commands/command-result.js";

/** ErrorInfo.domain: names the system that produced the reason. */
export const ERROR_DOMAIN = "traceledger.dev";

const codeOfKind: Readonly<Record<CommandError["kind"], Code>> = {
  invalid_argument: Code.InvalidArgument,
  failed_precondition: Code.FailedPrecondition,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  resource_exhausted: Code.ResourceExhausted,
  aborted: Code.Aborted,
  unavailable: Code.Unavailable,
  internal: Code.Internal,
};

export function toConnectError(error: CommandError): ConnectError {
  return withErrorInfo(codeOfKind[error.kind], error.reason, error.message, error.metadata);
}

/** A request-shape error the rpc layer finds before any command exists. */
export function invalidArgument(reason: string, message: string, metadata: Readonly<Record<string, string>> = {}): ConnectError {
  return withErrorInfo(Code.InvalidArgument, reason, message, metadata);
}

/**
 * The google.rpc.Code number for CommandError.code in a batch result. Connect's
 * Code enum uses the same numbers as google.rpc.Code, which keeps the batch and
 * the unary calls from drifting apart.
 */
export function codeNumber(kind: CommandError["kind"]): number {
  return codeOfKind[kind];
}

/** Any canonical code with its one ErrorInfo, for errors that are not a CommandError (MonitoringService's). */
export function withErrorInfo(code: Code, reason: string, message: string, metadata: Readonly<Record<string, string>> = {}): ConnectError {
  return new ConnectError(message, code, undefined, [
    { desc: ErrorInfoSchema, value: { reason, domain: ERROR_DOMAIN, metadata: { ...metadata } } },
  ]);
}
