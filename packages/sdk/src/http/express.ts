// Tracing for Express 5:
//
//   const tracing = expressTracing(tracer);
//   app.use(tracing.requests);          // first, before the routes
//   ... routes ...
//   app.use(tracing.errors);            // last: records errors the routes threw
//
// The span is named from the route template (`GET /users/:id`) as soon as the
// router matches it: Express assigns `req.route` when it dispatches to a route,
// and that assignment is observed. A route in a mounted router is only known by
// the path it matched (`req.baseUrl`, `/users/42`), which must not name a span;
// its template is built from the patterns the routers were mounted with, which
// router 2.3+ (Express 5) publishes on the `express.router.request` tracing
// channel. Where they are not known (an older router, a mounted Express app),
// the span keeps the name `{method}`, as the conventions say when there is no
// route. Express's types are not needed: the middleware uses node's request and
// response types, which Express extends.

import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { runInContext } from "../context/active-context.js";
import type { Tracer } from "../trace/tracer.js";
import { methodNames, type HttpTracingOptions } from "./http-tracing-options.js";
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
  const methods = methodNames(options);
  return {
    requests(request, response, next) {
      const traced = startRequestSpan(tracer, request, response, undefined, options, methods);
      if (traced === undefined) {
        next();
        return;
      }
      spans.set(request, traced);
      observeRoute(request, traced);
      trackMounts(request, traced);
      runInContext(traced.context, () => next());
    },
    // Express tells error middleware by its four parameters.
    errors(error, request, _response, next) {
      spans.get(request)?.fail(error);
      next(error);
    },
  };
}

/** Learns the route template when Express sets `req.route`, for a route outside any mounted router. */
function observeRoute(request: IncomingMessage, traced: RequestSpan): void {
  const req = request as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  let route = req.route;
  Object.defineProperty(req, "route", {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      if (value?.path !== undefined && !req.baseUrl) traced.setRoute(String(value.path));
    },
  });
}

// Mounted routers, through router's tracing channel. Its context for each
// handler call has the layer called and `route`, the pattern that layer was
// registered with (for a mounted router, its mount path). Which router stack a
// layer belongs to is static and indexed once; the route prefix of each stack
// is per request, since a router may be mounted at several paths.

const ROUTER_CALL_START = "tracing:express.router.request:start";

interface RouterCall {
  readonly req?: unknown;
  readonly layer?: unknown;
  readonly handler?: unknown;
  readonly route?: unknown;
}

interface MountedRoutes {
  readonly traced: RequestSpan;
  /** The route template of the mount of each router stack the request entered ("" for the app's own router). */
  readonly prefixes: Map<readonly unknown[], string>;
  reindexed: boolean;
}

const mountedRoutes = new WeakMap<object, MountedRoutes>();
/** The router stack each layer belongs to; a route's own handlers belong to the stack of the route. */
const owners = new WeakMap<object, readonly unknown[]>();
const routeHandlers = new WeakSet<object>();
const indexedLength = new WeakMap<readonly unknown[], number>();
let subscribed = false;

function trackMounts(request: IncomingMessage, traced: RequestSpan): void {
  const req = request as IncomingMessage & { app?: { router?: { stack?: unknown } }; baseUrl?: string };
  // Inside a mount already, this middleware cannot know the prefix of the stack it runs in.
  const stack = req.baseUrl ? undefined : req.app?.router?.stack;
  if (!Array.isArray(stack)) return;
  if (!subscribed) {
    subscribed = true;
    subscribe(ROUTER_CALL_START, onRouterCall);
  }
  index(stack);
  mountedRoutes.set(request, { traced, prefixes: new Map([[stack, ""]]), reindexed: false });
}

function onRouterCall(message: unknown): void {
  try {
    const call = message as RouterCall;
    const state = typeof call.req === "object" && call.req !== null ? mountedRoutes.get(call.req) : undefined;
    if (state === undefined || typeof call.layer !== "object" || call.layer === null || typeof call.route !== "string") return;
    const prefix = prefixOf(state, call.layer);
    if (prefix === undefined) return; // a stack entered some other way (a mounted app): no template
    if (routeHandlers.has(call.layer)) {
      state.traced.setRoute(`${prefix}${call.route}`);
      return;
    }
    const mounted = (call.handler as { stack?: unknown } | undefined)?.stack;
    if (typeof call.handler === "function" && Array.isArray(mounted)) {
      index(mounted);
      state.prefixes.set(mounted, `${prefix}${call.route.replace(/\/+$/, "")}`);
    }
  } catch {
    // a subscriber that throws would surface as an uncaught exception
  }
}

function prefixOf(state: MountedRoutes, layer: object): string | undefined {
  let owner = owners.get(layer);
  if (owner === undefined && !state.reindexed) {
    // Handlers added to a route after its stack was indexed (once per request: a mounted app's layers are never found).
    state.reindexed = true;
    for (const stack of state.prefixes.keys()) index(stack, true);
    owner = owners.get(layer);
  }
  return owner === undefined ? undefined : state.prefixes.get(owner);
}

function index(stack: readonly unknown[], force = false): void {
  if (!force && indexedLength.get(stack) === stack.length) return;
  indexedLength.set(stack, stack.length);
  for (const layer of stack) {
    if (typeof layer !== "object" || layer === null) continue;
    owners.set(layer, stack);
    const handlers = (layer as { route?: { stack?: unknown } }).route?.stack;
    if (!Array.isArray(handlers)) continue;
    for (const handler of handlers) {
      if (typeof handler !== "object" || handler === null) continue;
      owners.set(handler, stack);
      routeHandlers.add(handler);
    }
  }
}
