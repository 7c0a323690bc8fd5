// The span of one incoming HTTP request, shared by every integration: started
// as a SERVER span, root or child of the incoming traceparent (with its
// tracestate and baggage), named `{method} {route}` (`{method}` while no route
// template is known), announced to the client in
// a `traceparent` response header, and ended when the response finishes or the
// connection closes first (ended as cancelled, unless an error escaped after the
// headers went out: the server cut the response then, the client did not).
//
// Status, as the OpenTelemetry HTTP conventions say for SERVER spans: ERROR on
// a 5xx; a 4xx is the client's mistake, not a failure of the server, so it
// leaves the status UNSET even when a handler threw (the error is still
// recorded). An error that escaped with no 4xx or 5xx answer (a 2xx already
// sent, or no answer at all) is ERROR, and so is a response the connection
// closed under before it was complete ("the request ... failed sending the
// response fully"). A failed request carries `error.type`: the type of the
// error that escaped, else the 5xx code as a string, else `aborted` for a
// response cut short. The status description is left empty where the status
// code says it all (a plain 5xx); it is the escaped error's message otherwise.

import type { ActiveContext } from "../context/active-context.js";
import { bindListenersToContext } from "../context/bind-emitter.js";
import { extractContext } from "../propagation/w3c-propagator.js";
import { errorDetails, errorMessage } from "../trace/error-details.js";
import type { Span } from "../trace/span.js";
import type { Tracer } from "../trace/tracer.js";
import { isValidSpanContext } from "../w3c/span-context.js";
import { requestAttributes, requestPath, serverSpanName, type MethodNames } from "./http-semantic-attributes.js";
import { isExcluded, type HttpTracingOptions } from "./http-tracing-options.js";
import type { HttpServerRequest, HttpServerResponse } from "./server-messages.js";

export interface RequestSpan {
  readonly span: Span;
  /** The context the request's handlers run in: the span active, the caller's baggage. */
  readonly context: ActiveContext;
  /** Records a route template learnt after the start (renames the span while its start is unsent). */
  setRoute(route: string): void;
  /** Records an error that escaped a handler; the response's status says whether the span failed. */
  fail(error: unknown): void;
  /** Ends the span from the response's status; later calls do nothing. */
  finish(statusCode: number): void;
}

/** Starts the request's span, or returns undefined for an excluded path. */
export function startRequestSpan<Req extends HttpServerRequest>(
  tracer: Tracer,
  request: Req,
  response: HttpServerResponse,
  route: string | undefined,
  options: HttpTracingOptions<Req>,
  methods: MethodNames,
): RequestSpan | undefined {
  if (isExcluded(requestPath(request), options.excludePaths)) return undefined;
  const parent = extractContext(request);
  const extra = options.requestAttributes?.(request);
  const attributes = requestAttributes(request, route, methods);
  const span = tracer.startSpan(serverSpanName(request, route, methods), {
    kind: "server",
    parent,
    attributes: extra ? { ...attributes, ...extra } : attributes,
  });
  if (isValidSpanContext(span.spanContext()) && !response.headersSent) response.setHeader("traceparent", span.traceparent());
  // What the handler listens for on them (a body read by hand) runs in the request's context.
  bindListenersToContext(request);
  bindListenersToContext(response);

  let finished = false;
  let escaped: Failure | undefined;
  let knownRoute = route;
  const finish = (statusCode: number, cancelled = false) => {
    if (finished) return;
    finished = true;
    const attributes: Record<string, string | number> = {};
    if (statusCode > 0) attributes["http.response.status_code"] = statusCode;
    const failure = failureOf(statusCode, cancelled, escaped);
    // A status the handler set (an ERROR with its own message, or a final OK) is the
    // application's word; the response only fills in an unset status. A final OK
    // says the request did not fail: no error.type then.
    if (failure !== undefined && span.status().code !== "ok") {
      if (span.status().code === "unset") span.setStatus({ code: "error", message: failure.message });
      attributes["error.type"] = failure.type;
    }
    span.end({ attributes, cancelled });
  };
  response.once("finish", () => finish(response.statusCode));
  response.once("close", () => {
    if (response.writableFinished) return;
    // An error escaped once the headers were out: the framework cut the response
    // (Express's final handler destroys the connection), so the server failed it,
    // the client did not cancel it, as traceHttpHandler ends such a span.
    if (escaped !== undefined && response.headersSent) finish(response.statusCode);
    else finish(response.headersSent ? response.statusCode : 0, true);
  });

  return {
    span,
    context: { span, ...(parent.baggage ? { baggage: parent.baggage } : {}) },
    setRoute(template: string) {
      // Told again for each handler of the route: once the start has shipped, every change costs a command.
      if (template === knownRoute) return;
      knownRoute = template;
      span.updateName(serverSpanName(request, template, methods));
      span.setAttribute("http.route", template);
    },
    fail(error: unknown) {
      span.recordError(error, { escaped: true });
      // The same type as the recorded error's, as the conventions ask of error.type.
      escaped ??= { type: errorDetails(error).type, message: errorMessage(error) };
    },
    finish: (statusCode: number) => finish(statusCode),
  };
}

/** What a failed request records: `error.type`, and the status description (none where the status code says it). */
interface Failure {
  readonly type: string;
  readonly message?: string;
}

/** `error.type` of a response cut short: the connection closed before the response was complete. */
const ABORTED_ERROR_TYPE = "aborted";

/**
 * Why the request failed, or undefined when it did not: an error that escaped
 * (unless answered with a 4xx, the client's error), a 5xx, or a response the
 * connection closed under (statusCode 0 when no headers went out).
 */
function failureOf(statusCode: number, cancelled: boolean, escaped: Failure | undefined): Failure | undefined {
  const clientError = statusCode >= 400 && statusCode < 500;
  if (escaped !== undefined && !clientError) return escaped;
  if (statusCode >= 500) return { type: String(statusCode) };
  if (cancelled) return { type: ABORTED_ERROR_TYPE, message: "connection closed before the response was complete" };
  return undefined;
}
