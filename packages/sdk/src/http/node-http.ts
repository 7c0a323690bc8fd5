// Tracing for a plain node:http (or https) request handler:
//
//   http.createServer(traceHttpHandler(tracer, (req, res) => { ... }))
//
// Each request runs inside its span (the active span for everything the handler
// does). node:http knows no routes, so spans are named `{method}` (the path is
// in `url.path`). A handler that throws or rejects has its error recorded; if it
// has not answered yet, the request is answered 500 (instead of the process
// crashing on an uncaught exception or leaving the client waiting).

import type { IncomingMessage, ServerResponse } from "node:http";
import { runInContext } from "../context/active-context.js";
import type { Tracer } from "../trace/tracer.js";
import type { HttpTracingOptions } from "./http-tracing-options.js";
import { startRequestSpan } from "./request-span.js";

export type HttpRequestHandler<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse<Req> = ServerResponse<Req>> = (
  request: Req,
  response: Res,
) => unknown;

export function traceHttpHandler<Req extends IncomingMessage, Res extends ServerResponse<Req>>(
  tracer: Tracer,
  handler: HttpRequestHandler<Req, Res>,
  options: HttpTracingOptions = {},
): (request: Req, response: Res) => void {
  return (request, response) => {
    const traced = startRequestSpan(tracer, request, response, undefined, options);
    if (traced === undefined) {
      handler(request, response);
      return;
    }
    const failed = (error: unknown) => {
      traced.fail(error);
      if (!response.headersSent) {
        response.statusCode = 500;
        response.end();
      } else if (!response.writableEnded) {
        response.end();
      }
    };
    runInContext(traced.context, () => {
      try {
        const result = handler(request, response);
        if (typeof result === "object" && result !== null && typeof (result as PromiseLike<unknown>).then === "function") {
          (result as PromiseLike<unknown>).then(undefined, failed);
        }
      } catch (error) {
        failed(error);
      }
    });
  };
}
