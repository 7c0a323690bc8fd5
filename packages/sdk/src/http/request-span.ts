// The span of one incoming HTTP request, shared by every integration: started
// as a SERVER span, root or child of the incoming traceparent (with its
// tracestate and baggage), named `{method} {route}`, announced to the client in
// a `traceparent` response header, and ended when the response finishes (status
// ERROR on 5xx) or the connection closes first (ended as cancelled).

import type { IncomingMessage, ServerResponse } from "node:http";
import type { ActiveContext } from "../context/active-context.js";
import { extractContext } from "../propagation/w3c-propagator.js";
import type { Span } from "../trace/span.js";
import type { Tracer } from "../trace/tracer.js";
import { isValidSpanContext } from "../w3c/span-context.js";
import { requestAttributes, requestPath, serverSpanName } from "./http-semantic-attributes.js";
import { isExcluded, type HttpTracingOptions } from "./http-tracing-options.js";

export interface RequestSpan {
  readonly span: Span;
  /** The context the request's handlers run in: the span active, the caller's baggage. */
  readonly context: ActiveContext;
  /** Records a route template learnt after the start (renames the span while its start is unsent). */
  setRoute(route: string): void;
  /** Records an error that escaped a handler and marks the span as failed. */
  fail(error: unknown): void;
  /** Ends the span from the response's status; later calls do nothing. */
  finish(statusCode: number): void;
}

/** Starts the request's span, or returns undefined for an excluded path. */
export function startRequestSpan(
  tracer: Tracer,
  request: IncomingMessage,
  response: ServerResponse,
  route: string | undefined,
  options: HttpTracingOptions,
): RequestSpan | undefined {
  if (isExcluded(requestPath(request), options.excludePaths)) return undefined;
  const parent = extractContext(request);
  const extra = options.requestAttributes?.(request);
  const span = tracer.startSpan(serverSpanName(request, route), {
    kind: "server",
    parent,
    attributes: extra ? { ...requestAttributes(request, route), ...extra } : requestAttributes(request, route),
  });
  if (isValidSpanContext(span.spanContext()) && !response.headersSent) response.setHeader("traceparent", span.traceparent());

  let finished = false;
  const finish = (statusCode: number, cancelled = false) => {
    if (finished) return;
    finished = true;
    // A status the handler set (an ERROR with its own message, or a final OK) is the
    // application's word; the response code only fills in an unset status.
    if (statusCode >= 500 && span.status().code === "unset") span.setStatus({ code: "error", message: `HTTP ${statusCode}` });
    span.end({ attributes: statusCode > 0 ? { "http.response.status_code": statusCode } : undefined, cancelled });
  };
  response.once("finish", () => finish(response.statusCode));
  response.once("close", () => {
    if (!response.writableFinished) finish(response.headersSent ? response.statusCode : 0, true);
  });

  return {
    span,
    context: { span, ...(parent.baggage ? { baggage: parent.baggage } : {}) },
    setRoute(template: string) {
      span.updateName(serverSpanName(request, template));
      span.setAttribute("http.route", template);
    },
    fail(error: unknown) {
      span.recordError(error, { escaped: true });
      span.setStatus({ code: "error", message: error instanceof Error ? error.message : String(error) });
    },
    finish: (statusCode: number) => finish(statusCode),
  };
}
