// One log line per call with a request id (the caller's x-request-id, or a new
// one, echoed in the response header): debug for successes, info for calls the
// client got wrong, error for the server's own failures. Successes are debug
// because a busy ingest path would otherwise spend its time writing logs.

import { randomUUID } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "../log/logger.js";
import { isDatabaseUnavailable } from "../rpc/transport/database-unavailable.js";

const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.DataLoss, Code.Unavailable]);

export function withCallLogging<S extends DescService>(service: S, impl: ServiceImpl<S>, log: Logger): ServiceImpl<S> {
  const wrapped: Record<string, unknown> = {};
  for (const method of service.methods) {
    const handler = (impl as Record<string, (req: unknown, ctx: HandlerContext) => unknown>)[method.localName];
    if (!handler) continue;
    const procedure = `/${service.typeName}/${method.name}`;
    if (method.methodKind === "unary") {
      wrapped[method.localName] = async (request: unknown, context: HandlerContext) => {
        const requestId = begin(context);
        const started = performance.now();
        try {
          const response = await handler.call(impl, request, context);
          log.debug("call", { procedure, request_id: requestId, ms: round(performance.now() - started) });
          return response;
        } catch (error) {
          failed(log, procedure, requestId, error, started);
          throw error;
        }
      };
    } else {
      wrapped[method.localName] = async function* (request: unknown, context: HandlerContext) {
        const requestId = begin(context);
        const started = performance.now();
        log.debug("stream opened", { procedure, request_id: requestId });
        try {
          yield* handler.call(impl, request, context) as AsyncIterable<unknown>;
          log.debug("stream closed", { procedure, request_id: requestId, ms: round(performance.now() - started) });
        } catch (error) {
          failed(log, procedure, requestId, error, started);
          throw error;
        }
      };
    }
  }
  return wrapped as ServiceImpl<S>;
}

function begin(context: HandlerContext): string {
  const requestId = context.requestHeader.get("x-request-id") || randomUUID();
  context.responseHeader.set("x-request-id", requestId);
  return requestId;
}

function failed(log: Logger, procedure: string, requestId: string, error: unknown, started: number): void {
  // As the client is answered (public-error.ts): a database outage is UNAVAILABLE, not UNKNOWN.
  const e = isDatabaseUnavailable(error) ? new ConnectError(error instanceof Error ? error.message : String(error), Code.Unavailable) : ConnectError.from(error);
  const fields = { procedure, request_id: requestId, code: Code[e.code], message: e.rawMessage, ms: round(performance.now() - started) };
  if (SERVER_FAULTS.has(e.code)) log.error("call failed", fields);
  else log.info("call rejected", fields);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
