// A stand-in TracingService for transport tests: the real descriptor with a
// tiny implementation whose behaviour each method makes easy to observe.

import type { ServiceImpl } from "@connectrpc/connect";
import type { TracingService } from "@traceledger/proto";
import { setTimeout as sleep } from "node:timers/promises";
import { traceError } from "../../../domain/trace/trace-error.js";
import { formatTraceparent } from "../../../domain/trace/traceparent.js";
import { bytesToHex } from "../../../domain/trace/w3c-ids.js";
import { toConnectError } from "../../rpc-error.js";
import type { CallLog } from "./call-log.js";

/** WatchTrace with this after_version never yields and ignores its signal, like a careless implementation. */
export const WATCH_IGNORING_SIGNAL = 999n;

export function testTracingService(log: CallLog): Partial<ServiceImpl<typeof TracingService>> {
  return {
    // Echoes the ids, the x-echo request header (as a response header) and sets a trailer;
    // logs its context without reading the signal (the test reads it after the call).
    startSpan(request, context) {
      log.record("startSpan.context", context);
      const echo = context.requestHeader.get("x-echo");
      if (echo !== null) context.responseHeader.set("x-echo", echo);
      context.responseTrailer.set("x-trailer", "done");
      return {
        traceId: request.traceId,
        spanId: request.spanId,
        traceparent: formatTraceparent(bytesToHex(request.traceId), bytesToHex(request.spanId), 1),
        traceVersion: 1n,
        traceStarted: true,
      };
    },
    // A domain error, mapped the one way the product maps them.
    endSpan(request) {
      const spanId = bytesToHex(request.spanId);
      throw toConnectError(traceError("failed_precondition", "SPAN_ALREADY_ENDED", `span ${spanId} has already ended`, { span_id: spanId }));
    },
    // A bug whose message must not reach the client.
    recordError() {
      throw new Error("connect ECONNREFUSED postgres://app:s3cret@db.internal:5432");
    },
    // Waits until its signal aborts, then reports why.
    async getTrace(_request, context) {
      log.record("getTrace.started");
      await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
      log.record("getTrace.aborted", context.signal.reason);
      throw context.signal.reason;
    },
    // An in-flight unary call that finishes by itself after page_size milliseconds.
    async listTraces(request) {
      log.record("listTraces.started");
      await sleep(request.pageSize);
      return { nextPageToken: "finished" };
    },
    // after_version messages (0: until its signal aborts), 5 ms apart; with a
    // trace_id, 16 KiB each and back to back, to fill the flow-control windows.
    async *watchTrace(request, context) {
      log.record("watchTrace.started");
      if (request.afterVersion === WATCH_IGNORING_SIGNAL) await new Promise(() => undefined);
      const bulk = request.traceId.length > 0;
      const eventId = bulk ? "x".repeat(16 * 1024) : "";
      try {
        for (let version = 1n; request.afterVersion === 0n || version <= request.afterVersion; version++) {
          yield { event: { streamVersion: version, type: "test", eventId } };
          if (!bulk) await sleep(5, undefined, { signal: context.signal }).catch(() => undefined);
          if (context.signal.aborted) break;
        }
      } finally {
        log.record("watchTrace.finally", context.signal.aborted ? context.signal.reason : "completed");
      }
    },
  };
}
