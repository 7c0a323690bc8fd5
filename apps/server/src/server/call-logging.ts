// One log line per call with a request id (log/call-log.ts), for every method of
// an RPC service: the caller's x-request-id, or a new one, echoed in the response
// header.

import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { REQUEST_ID_HEADER, startCallLog, type CallLog } from "../log/call-log.js";
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
        const call = begin(log, procedure, context);
        try {
          const response = await handler.call(impl, request, context);
          call.succeeded();
          return response;
        } catch (error) {
          failed(call, error);
          throw error;
        }
      };
    } else {
      wrapped[method.localName] = async function* (request: unknown, context: HandlerContext) {
        const call = begin(log, procedure, context);
        call.step("stream opened");
        try {
          yield* handler.call(impl, request, context) as AsyncIterable<unknown>;
          call.succeeded("stream closed");
        } catch (error) {
          failed(call, error);
          throw error;
        }
      };
    }
  }
  return wrapped as ServiceImpl<S>;
}

function begin(log: Logger, procedure: string, context: HandlerContext): CallLog {
  const call = startCallLog(log, procedure, context.requestHeader.get(REQUEST_ID_HEADER));
  context.responseHeader.set(REQUEST_ID_HEADER, call.requestId);
  return call;
}

function failed(call: CallLog, error: unknown): void {
  // As the client is answered (public-error.ts): a database outage is UNAVAILABLE, anything
  // else not thrown on purpose a bare INTERNAL, whose cause this line carries, with the
  // request id the client can quote.
  if (isDatabaseUnavailable(error)) {
    call.failed(true, { code: Code[Code.Unavailable], message: error instanceof Error ? error.message : String(error) });
    return;
  }
  // An implementation stopped by its call's abort throws an AbortError: CANCELED, as connect reads it.
  const e = ConnectError.from(error);
  if (e.code === Code.Unknown && !(error instanceof ConnectError)) call.failed(true, { code: Code[Code.Internal], message: "internal error", error });
  else call.failed(SERVER_FAULTS.has(e.code), { code: Code[e.code], message: e.rawMessage });
}
