// One log line per call, the same for every door: the RPCs (server/call-logging.ts)
// and the plain routes that take calls (OTLP/HTTP). The caller's x-request-id, or
// a new one, names the call in its lines and in its answer's header. Successes are
// debug because a busy ingest path would otherwise spend its time writing logs;
// calls the client got wrong are info, the server's own failures error.

import { randomUUID } from "node:crypto";
import type { Logger } from "./logger.js";

/** The header that names a call: read from the request, echoed in the answer. */
export const REQUEST_ID_HEADER = "x-request-id";

export interface CallLog {
  readonly requestId: string;
  /** A step of a call still running (a stream opened), at debug. */
  step(msg: string): void;
  succeeded(msg?: string, fields?: Record<string, unknown>): void;
  /** At error for a fault of the server's, else (the client's mistake) at info. */
  failed(serverFault: boolean, fields: Record<string, unknown>): void;
}

/** `requestIdHeader`: the request's x-request-id, if it has one. */
export function startCallLog(log: Logger, procedure: string, requestIdHeader: string | null | undefined): CallLog {
  const requestId = requestIdHeader || randomUUID();
  const started = performance.now();
  const ms = () => Math.round((performance.now() - started) * 100) / 100;
  return {
    requestId,
    step: (msg) => log.debug(msg, { procedure, request_id: requestId }),
    succeeded: (msg = "call", fields = {}) => log.debug(msg, { procedure, request_id: requestId, ...fields, ms: ms() }),
    failed: (serverFault, fields) => {
      const line = { procedure, request_id: requestId, ...fields, ms: ms() };
      if (serverFault) log.error("call failed", line);
      else log.info("call rejected", line);
    },
  };
}
