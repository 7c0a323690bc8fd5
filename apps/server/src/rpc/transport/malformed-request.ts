// A request that does not decode is the client's fault: INVALID_ARGUMENT with
// one ErrorInfo, on every door and in every encoding, like any other bad input.

import type { ConnectError } from "@connectrpc/connect";
import { invalidArgument } from "../rpc-error.js";

/** ErrorInfo.reason of a request that does not decode (OTLP's TraceService says MALFORMED_OTLP). */
export const MALFORMED_REQUEST = "MALFORMED_REQUEST";

/** `message` says what did not decode, as protobuf-es's JSON reader words it. */
export function malformedRequest(reason: string, messageType: string, message: string): ConnectError {
  return invalidArgument(reason, message, { message_type: messageType });
}

/** The message for protobuf binary, worded as protobuf-es words JSON's; `detail` is the reader's, e.g. "premature EOF". */
export function binaryDecodeFailure(messageType: string, detail: string): string {
  return `cannot decode message ${messageType} from binary: ${detail}`;
}
