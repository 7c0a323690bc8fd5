// The connect-es HandlerContext for a call that arrived through grpc-js, so an
// implementation sees the same context whichever door the call came through.
//
// Built lazily: a unary call on the ingest path reads a header and sets one, and
// never looks at its signal, yet connect's createHandlerContext builds three
// AbortControllers, four Headers and their listeners per call, and aborting them
// afterwards dispatches events: ~30 us of a ~240 us call (measured with
// tools/bench/unary-latency.ts --profile). Here the signal, its listeners and
// timer exist only once something reads `signal`, and each Headers once read.

import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";
import { metadataToHeaders } from "./grpc-metadata.js";

const CALL_FINISHED = new ConnectError("the call finished", Code.Canceled);

type GrpcCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

interface GrpcCallContext {
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
  const context = new LazyGrpcHandlerContext(call, method, shutdownSignal);
  return { context, done: () => context.finish() };
}

class LazyGrpcHandlerContext implements HandlerContext {
  readonly protocolName = "grpc";
  readonly requestMethod = "POST";
  private readonly deadline: number;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private request: Headers | undefined;
  private response: Headers | undefined;
  private trailer: Headers | undefined;
  private contextValues: ContextValues | undefined;

  constructor(
    private readonly call: GrpcCall,
    readonly method: DescMethod,
    private readonly shutdownSignal: AbortSignal | undefined,
  ) {
    const deadline = call.getDeadline();
    this.deadline = deadline instanceof Date ? deadline.getTime() : deadline;
  }

  get service(): DescService {
    return this.method.parent;
  }

  get url(): string {
    return `http://${this.call.getHost()}${this.call.getPath()}`;
  }

  readonly timeoutMs = (): number | undefined => (Number.isFinite(this.deadline) ? this.deadline - Date.now() : undefined);

  get requestHeader(): Headers {
    return (this.request ??= metadataToHeaders(this.call.metadata));
  }

  get responseHeader(): Headers {
    return (this.response ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.trailer ??= new Headers());
  }

  get values(): ContextValues {
    return (this.contextValues ??= createContextValues());
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = (this.controller = new AbortController());
    if (this.finished) {
      controller.abort(CALL_FINISHED);
      return controller.signal;
    }
    this.call.once("cancelled", this.onCancelled);
    this.shutdownSignal?.addEventListener("abort", this.onShutdown, { once: true });
    if (this.call.cancelled) this.onCancelled();
    else if (this.shutdownSignal?.aborted) this.onShutdown();
    else if (Number.isFinite(this.deadline)) {
      const left = this.deadline - Date.now();
      if (left <= 0) this.abort(deadlineExceeded());
      else this.timer = setTimeout(() => this.abort(deadlineExceeded()), left);
    }
    return controller.signal;
  }

  finish(): void {
    this.finished = true;
    this.abort(CALL_FINISHED);
  }

  private readonly onCancelled = (): void => this.abort(cancelReason(this.deadline));

  private readonly onShutdown = (): void => this.abort(this.shutdownSignal?.reason);

  private abort(reason: unknown): void {
    const controller = this.controller;
    if (!controller) return;
    clearTimeout(this.timer);
    this.call.off("cancelled", this.onCancelled);
    this.shutdownSignal?.removeEventListener("abort", this.onShutdown);
    // With no reason, abort() builds a DOMException (and its stack) per call;
    // one shared reason says the same without that cost.
    if (!controller.signal.aborted) controller.abort(reason);
  }
}

function deadlineExceeded(): ConnectError {
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
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
