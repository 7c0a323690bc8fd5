// A bound on the server streams (WatchTrace, WatchActiveSpans, WatchAlerts) open at
// once in this process, across both doors and every connection. Each open stream
// costs a place in the shared polls and its pages in memory: 5,000 idle watchers
// of random traces slowed every other call by seconds. Past the bound a new stream
// is refused with RESOURCE_EXHAUSTED (TOO_MANY_STREAMS), which clients retry later,
// rather than slowing every caller of the replica.

import type { DescService } from "@bufbuild/protobuf";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { withErrorInfo } from "../rpc/rpc-error.js";

export class StreamBudget {
  private open = 0;

  constructor(readonly limit: number) {}

  get openStreams(): number {
    return this.open;
  }

  /** Takes a place for one stream; returns its release, or throws TOO_MANY_STREAMS. */
  take(): () => void {
    if (this.open >= this.limit) {
      throw withErrorInfo(Code.ResourceExhausted, "TOO_MANY_STREAMS", `this server already has ${this.limit} streams open, its limit (TRACELEDGER_MAX_OPEN_STREAMS); retry later`, {
        limit: String(this.limit),
      });
    }
    this.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
    };
  }
}

/** The implementation with each server-streaming method taking its place in `budget` while it runs. */
export function withStreamBudget<S extends DescService>(service: S, impl: ServiceImpl<S>, budget: StreamBudget): ServiceImpl<S> {
  const wrapped: Record<string, unknown> = { ...(impl as Record<string, unknown>) };
  for (const method of service.methods) {
    const handler = (impl as Record<string, (req: unknown, ctx: HandlerContext) => AsyncIterable<unknown>>)[method.localName];
    if (!handler || method.methodKind !== "server_streaming") continue;
    wrapped[method.localName] = async function* (request: unknown, context: HandlerContext) {
      const release = budget.take();
      try {
        yield* handler.call(impl, request, context);
      } finally {
        release();
      }
    };
  }
  return wrapped as ServiceImpl<S>;
}
