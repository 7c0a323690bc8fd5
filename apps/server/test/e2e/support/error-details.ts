// google.rpc.ErrorInfo as each kind of client receives it: in the
// grpc-status-details-bin trailer (grpc-js), as a ConnectError detail
// (connect), or in the "details" of a Connect JSON error body (fetch).

import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import type { ServiceError } from "@grpc/grpc-js";
import { ErrorInfoSchema, RpcStatusSchema, type ErrorInfo } from "@traceledger/proto/google-rpc";

/** The error as the tests compare it: code name (gRPC canonical, lower snake case), reason, domain. */
export interface SeenError {
  readonly code: string;
  readonly reason: string | undefined;
  readonly domain: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

/** gRPC canonical code numbers by their Connect (lower snake case) names. */
const CODE_NAMES: Readonly<Record<number, string>> = {
  0: "ok",
  1: "canceled",
  2: "unknown",
  3: "invalid_argument",
  4: "deadline_exceeded",
  5: "not_found",
  6: "already_exists",
  7: "permission_denied",
  8: "resource_exhausted",
  9: "failed_precondition",
  10: "aborted",
  11: "out_of_range",
  12: "unimplemented",
  13: "internal",
  14: "unavailable",
  15: "data_loss",
  16: "unauthenticated",
};

function seen(code: number | string, infos: readonly ErrorInfo[]): SeenError {
  if (infos.length > 1) throw new Error(`expected at most one ErrorInfo, got ${infos.length}`);
  const info = infos[0];
  return {
    code: typeof code === "number" ? (CODE_NAMES[code] ?? String(code)) : code,
    reason: info?.reason,
    domain: info?.domain,
    metadata: info?.metadata ?? {},
  };
}

/** From a grpc-js ServiceError: its code and the google.rpc.Status in the trailers. */
export function grpcJsError(error: ServiceError): SeenError {
  const raw = error.metadata?.get("grpc-status-details-bin")[0];
  const infos: ErrorInfo[] = [];
  if (raw !== undefined) {
    const status = fromBinary(RpcStatusSchema, typeof raw === "string" ? Buffer.from(raw, "base64") : raw);
    if (status.code !== error.code) throw new Error(`google.rpc.Status code ${status.code} differs from the call's ${error.code}`);
    for (const any of status.details) {
      const info = anyUnpack(any, ErrorInfoSchema);
      if (info) infos.push(info);
    }
  }
  return seen(error.code, infos);
}

/** From anything a connect client threw. */
export function connectError(thrown: unknown): SeenError {
  if (!(thrown instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(thrown)}`);
  return seen(thrown.code, thrown.findDetails(ErrorInfoSchema));
}

/** From the JSON body of a failed Connect unary call (or a stream's end message "error"). */
export function connectJsonError(body: unknown): SeenError {
  const error = body as { code?: string; details?: Array<{ type?: string; value?: string }> };
  if (typeof error?.code !== "string") throw new Error(`not a Connect error body: ${JSON.stringify(body)}`);
  const infos = (error.details ?? [])
    .filter((d) => d.type === "google.rpc.ErrorInfo")
    .map((d) => fromBinary(ErrorInfoSchema, Buffer.from(d.value ?? "", "base64")));
  return seen(error.code, infos);
}
