// The connect-es HandlerContext for a call that arrived through grpc-js, so an
// implementation sees the same context whichever door the call came through.

import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import type { ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";
import { metadataToHeaders } from "./grpc-metadata.js";

const CALL_FINISHED = new ConnectError("the call finished", Code.Canceled);

type GrpcCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

export interface GrpcCallContext {
  readonly context: HandlerContext;
  /** Ends the context: aborts its signal (connect does so after every call too) and stops its deadline timer. */
  readonly done: () => void;
}

/**
 * The signal aborts when the client cancels (or its connection goes away), when
 * the deadline passes, or when shutdownSignal aborts; its reason is a
 * ConnectError with the matching code.
 */
export function grpcCallContext(call: GrpcCall, method: DescMethod, shutdownSignal?: AbortSignal): GrpcCallContext {
  const deadline = deadlineMs(call.getDeadline());
  const cancelled = new AbortController();
  const onCancelled = () => cancelled.abort(cancelReason(deadline));
  call.once("cancelled", onCancelled);
  const context = createHandlerContext({
    service: method.parent,
    method,
    protocolName: "grpc",
    requestMethod: "POST",
    url: `http://${call.getHost()}${call.getPath()}`,
    timeoutMs: Number.isFinite(deadline) ? Math.max(0, deadline - Date.now()) : undefined,
    requestSignal: cancelled.signal,
    shutdownSignal,
    requestHeader: metadataToHeaders(call.metadata),
  });
  if (call.cancelled) onCancelled();
  return {
    context,
    done: () => {
      call.off("cancelled", onCancelled);
      // With no reason, abort() builds a DOMException (and its stack) per call;
      // one shared reason says the same without that cost.
      context.abort(CALL_FINISHED);
    },
  };
}

function deadlineMs(deadline: Date | number): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

// grpc-js ends a call whose deadline passed (sending DEADLINE_EXCEEDED) and
// then reports it cancelled, often before the context's own deadline timer
// fires; timers run on the event loop's cached clock. A client also cancels
// at its own deadline, measured from before it sent the call, so its
// RST_STREAM can arrive ahead of the deadline this side computed from
// grpc-timeout by the request's transit time, tens of ms on a loaded machine.
// A cancel that close to the deadline is the deadline.
const DEADLINE_SLACK_MS = 100;

function cancelReason(deadline: number): ConnectError {
  return Date.now() >= deadline - DEADLINE_SLACK_MS
    ? new ConnectError("the operation timed out", Code.DeadlineExceeded)
    : new ConnectError("the client cancelled the call", Code.Canceled);
}
