// Tracing for a plain node:http (or https) request handler, or one on
// node:http2's compatibility API:
//
//   http.createServer(traceHttpHandler(tracer, (req, res) => { ... }))
//   http2.createServer(traceHttpHandler(tracer, (req, res) => { ... }))
//
// `req` and `res` take the types the server gives its handler. TypeScript cannot
// infer them through the generic overloads that take options first
// (`http2.createSecureServer(options, handler)`): there they default to
// node:http's, so annotate them, or pass the handler to `server.on("request", ...)`.
//
// Each request runs inside its span (the active span for everything the handler
// does). node:http knows no routes, so spans are named `{method}` (the path is
// in `url.path`). A handler that throws or rejects has its error recorded; if it
// has not answered yet, the request is answered 500 (instead of the process
// crashing on an uncaught exception or leaving the client waiting); if it had
// started answering, the response is aborted, so the client does not take a
// truncated body for a complete one.

import type { IncomingMessage } from "node:http";
import { runInContext } from "../context/active-context.js";
import { errorMessage } from "../trace/error-details.js";
import type { Tracer } from "../trace/tracer.js";
import { methodNames, type HttpTracingOptions } from "./http-tracing-options.js";
import { startRequestSpan } from "./request-span.js";
import type { HttpServerRequest, HttpServerResponse, ResponseFor } from "./server-messages.js";

export type HttpRequestHandler<Req extends HttpServerRequest = IncomingMessage, Res extends HttpServerResponse = ResponseFor<Req>> = (
  request: Req,
  response: Res,
) => unknown;

export function traceHttpHandler<Req extends HttpServerRequest = IncomingMessage, Res extends HttpServerResponse = ResponseFor<Req>>(
  tracer: Tracer,
  handler: HttpRequestHandler<Req, Res>,
  options: HttpTracingOptions<Req> = {},
): (request: Req, response: Res) => void {
  const methods = methodNames(options);
  return (request, response) => {
    const traced = startRequestSpan(tracer, request, response, undefined, options, methods);
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
        // Part of the answer is out: ending it would pass a truncated body off as
        // complete. Abort the response instead, so the client sees the failure. The
        // span ends first, as failed by the server rather than cancelled by the client.
        traced.finish(response.statusCode);
        abort(response, error);
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

/**
 * Aborts a response whose headers are out. HTTP/1.1: the connection closes before
 * the final chunk (no error given, which node would hand to the server's
 * `clientError` listeners as if the client had failed). HTTP/2 (the
 * compatibility API's response has a `stream`): the stream is reset with
 * INTERNAL_ERROR, which takes an error (without one it is reset with NO_ERROR).
 */
function abort(response: HttpServerResponse, error: unknown): void {
  if ("stream" in response && typeof response.stream === "object" && response.stream !== null) {
    response.destroy(error instanceof Error ? error : new Error(errorMessage(error)));
  } else {
    response.destroy();
  }
}
