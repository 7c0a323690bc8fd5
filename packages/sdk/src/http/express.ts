// Tracing for Express 5:
//
//   const tracing = expressTracing(tracer);
//   app.use(tracing.requests);          // first, before the routes
//   ... routes ...
//   app.use(tracing.errors);            // last: records errors the routes threw
//
// The span is named from the route template (`GET /users/:id`) as soon as the
// router matches it: Express assigns `req.route` when it dispatches to a route,
// and that assignment is observed. Express's types are not needed: the
// middleware uses node's request and response types, which Express extends.

import type { IncomingMessage, ServerResponse } from "node:http";
import { runInContext } from "../context/active-context.js";
import type { Tracer } from "../trace/tracer.js";
import type { HttpTracingOptions } from "./http-tracing-options.js";
import { startRequestSpan, type RequestSpan } from "./request-span.js";

type Next = (error?: unknown) => void;

export interface ExpressTracing {
  /** The request middleware: `app.use(tracing.requests)` before any route. */
  readonly requests: (request: IncomingMessage, response: ServerResponse, next: Next) => void;
  /** The error middleware: `app.use(tracing.errors)` after the routes; passes the error on. */
  readonly errors: (error: unknown, request: IncomingMessage, response: ServerResponse, next: Next) => void;
}

export function expressTracing(tracer: Tracer, options: HttpTracingOptions = {}): ExpressTracing {
  const spans = new WeakMap<IncomingMessage, RequestSpan>();
  return {
    requests(request, response, next) {
      const traced = startRequestSpan(tracer, request, response, undefined, options);
      if (traced === undefined) {
        next();
        return;
      }
      spans.set(request, traced);
      observeRoute(request, traced);
      runInContext(traced.context, () => next());
    },
    // Express tells error middleware by its four parameters.
    errors(error, request, _response, next) {
      spans.get(request)?.fail(error);
      next(error);
    },
  };
}

/** Learns the route template when Express sets `req.route` (baseUrl + route.path). */
function observeRoute(request: IncomingMessage, traced: RequestSpan): void {
  const req = request as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  let route = req.route;
  Object.defineProperty(req, "route", {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      if (value?.path !== undefined) traced.setRoute(`${req.baseUrl ?? ""}${String(value.path)}`);
    },
  });
}
