// The TracingService over an event store alone, for specs of the calls that read its log
// (GetTraceEvents): the listing and GetTrace's reader answer nothing.

import type { ServiceImpl } from "@connectrpc/connect";
import type { TracingService } from "@traceledger/proto";
import { TraceCommandBus } from "../../commands/trace-command-bus.js";
import { DEFAULT_SPAN_LIMITS } from "../../domain/trace/span-limits.js";
import type { EventStore } from "../../event-store/event-store.js";
import { TraceChangeFeed } from "../../live/trace-change-feed.js";
import { createTracingService } from "../tracing-service.js";

/** The service, and close() for its command bus. */
export function eventsService(store: EventStore, clock: () => bigint, options: { maxAnswerBytes?: number } = {}): { service: ServiceImpl<typeof TracingService>; close(): Promise<void> } {
  const bus = new TraceCommandBus({ store, clock, newId: () => "unused", limits: DEFAULT_SPAN_LIMITS });
  const service = createTracingService({
    bus,
    store,
    changes: new TraceChangeFeed(),
    listing: { listTraces: () => Promise.reject(new Error("unused")) },
    traces: { read: () => Promise.reject(new Error("unused")) },
    clock,
    shutdown: new AbortController().signal,
    ...options,
  });
  return { service, close: () => bus.close() };
}
